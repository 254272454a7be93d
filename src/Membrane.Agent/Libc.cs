using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Membrane.Agent;

/// <summary>What .NET's APIs do not offer: open(2) and fsync(2) on a directory, and kill(2) with SIGTERM.</summary>
internal static partial class Libc
{
    private const int ReadOnlyDirectory = 0x10000 | 0x80000; // O_RDONLY | O_DIRECTORY | O_CLOEXEC (asm-generic/fcntl.h)

    public static IntPtr Open(string path) => OpenNative(path, ReadOnlyDirectory);

    public static void Fsync(SafeFileHandle handle) => FsyncNative(handle);

    private const int SignalTerminate = 15; // SIGTERM (asm-generic/signal.h)

    /// <summary>Asks a process to stop cleanly (Process.Kill sends SIGKILL, which gives it no chance to).</summary>
    public static bool Terminate(int pid) => KillNative(pid, SignalTerminate) == 0;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(SafeFileHandle fd);
}
