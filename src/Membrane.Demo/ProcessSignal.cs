using System.Runtime.InteropServices;

namespace Membrane.Demo;

/// <summary>kill(2) with SIGTERM, which .NET's Process does not send (its Kill is SIGKILL, leaving no clean stop).</summary>
internal static partial class ProcessSignal
{
    private const int SignalTerminate = 15; // SIGTERM (asm-generic/signal.h)

    public static bool Terminate(int pid) => KillNative(pid, SignalTerminate) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);
}
