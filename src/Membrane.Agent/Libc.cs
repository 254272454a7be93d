using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Membrane.Agent;

/// <summary>What .NET's APIs do not offer: open(2), fsync(2) and flock(2) on a directory and statfs(2).</summary>
internal static unsafe partial class Libc
{
    private const int ReadOnlyDirectory = 0x10000 | 0x80000; // O_RDONLY | O_DIRECTORY | O_CLOEXEC (asm-generic/fcntl.h)

    public static IntPtr Open(string path) => OpenNative(path, ReadOnlyDirectory);

    public static void Fsync(SafeFileHandle handle) => FsyncNative(handle);

    private const int LockExclusiveNonBlocking = 2 | 4; // LOCK_EX | LOCK_NB (sys/file.h)

    /// <summary>
    /// Takes flock(LOCK_EX | LOCK_NB) on a directory held open: false when another process holds it. The lock is the
    /// open file description's, released by the kernel when the last descriptor of it closes, a SIGKILL included.
    /// </summary>
    public static bool TryLockExclusive(SafeFileHandle directory) => FlockNative(directory, LockExclusiveNonBlocking) == 0;

    /// <summary>The file system type (statfs(2) f_type, the first word of struct statfs on every 64-bit Linux), or null.</summary>
    public static unsafe long? FileSystemType(string path)
    {
        var buffer = stackalloc long[16]; // struct statfs is 120 bytes on x86_64 and arm64
        return StatfsNative(path, buffer) == 0 ? buffer[0] : null;
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockNative(SafeFileHandle fd, int operation);

    [LibraryImport("libc", EntryPoint = "statfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int StatfsNative(string path, long* buffer);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(SafeFileHandle fd);
}
