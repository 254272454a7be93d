using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Membrane.Agent.State;

/// <summary>open(2) and fsync(2) on a directory, which .NET's file APIs do not offer.</summary>
internal static partial class Interop
{
    private const int ReadOnlyDirectory = 0x10000 | 0x80000; // O_RDONLY | O_DIRECTORY | O_CLOEXEC (asm-generic/fcntl.h)

    public static IntPtr Open(string path) => OpenNative(path, ReadOnlyDirectory);

    public static void Fsync(SafeFileHandle handle) => FsyncNative(handle);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(SafeFileHandle fd);
}
