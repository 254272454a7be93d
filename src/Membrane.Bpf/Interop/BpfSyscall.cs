using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>
/// The one choke point for <c>bpf(2)</c>. Every command goes through <see cref="Invoke{TAttr}"/>, which retries the
/// errnos that mean "interrupted, try again" and otherwise returns the result or the errno, never throwing: callers
/// turn an errno into the exception that names their object and operation.
/// </summary>
internal static unsafe class BpfSyscall
{
    /// <summary>How often an interrupted call is retried before its errno is reported.</summary>
    private const int MaxRetries = 10;

    /// <summary>The bpf syscall number of the running architecture, or -1 when the toolkit does not support it; the
    /// first call then throws, rather than the type initializer.</summary>
    private static readonly long Number = NumberFor(RuntimeInformation.ProcessArchitecture) ?? -1;

    /// <summary>
    /// <c>__NR_bpf</c> per architecture: 321 on x86-64 (arch/x86/entry/syscalls/syscall_64.tbl), 280 in the generic
    /// table that arm64, riscv64 and loongarch64 use (include/uapi/asm-generic/unistd.h). Null elsewhere: 32-bit
    /// targets also lay out <c>struct epoll_event</c> and the ring buffer positions differently, which the toolkit
    /// does not handle, and guessing a number there would call some other syscall.
    /// </summary>
    internal static long? NumberFor(Architecture architecture) => architecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 or Architecture.RiscV64 or Architecture.LoongArch64 => 280,
        _ => null,
    };

    /// <summary>The syscall number, or a <see cref="PlatformNotSupportedException"/> naming the architecture.</summary>
    internal static long RequireNumber(Architecture architecture) =>
        NumberFor(architecture) ?? throw new PlatformNotSupportedException(
            $"Membrane.Bpf does not support the {architecture} architecture: it knows the bpf(2) syscall number only " +
            "for X64 (321) and for Arm64, RiscV64 and LoongArch64 (280)");

    /// <summary>
    /// Calls <c>bpf(command, &amp;attr, sizeof(attr))</c>. Returns the non-negative result, or the negated errno.
    /// The kernel accepts an attr shorter than its own <c>union bpf_attr</c> and zero-fills the rest, so each command
    /// passes only its own struct.
    /// </summary>
    public static int Invoke<TAttr>(BpfCommand command, ref TAttr attr)
        where TAttr : unmanaged
    {
        var number = Number >= 0 ? Number : RequireNumber(RuntimeInformation.ProcessArchitecture);
        for (var attempt = 0; ; attempt++)
        {
            long result;
            fixed (TAttr* pointer = &attr)
            {
                result = Interop.Syscall(number, (long)command, pointer, sizeof(TAttr));
            }

            if (result >= 0)
            {
                return (int)result;
            }

            var errno = Interop.LastErrno;
            if (attempt < MaxRetries && ShouldRetry(command, errno))
            {
                continue;
            }

            return -errno;
        }
    }

    /// <summary>
    /// A signal interrupts the verifier, which then returns EAGAIN (kernel/bpf/verifier.c checks
    /// <c>signal_pending</c>), so program loads retry EAGAIN as cilium/ebpf does. A test run with a repeat count
    /// stops at a pending signal with EINTR (net/bpf/test_run.c <c>bpf_test_timer_continue</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool ShouldRetry(BpfCommand command, int errno) =>
        (command == BpfCommand.ProgLoad && errno == Errno.EAGAIN) ||
        (command == BpfCommand.ProgTestRun && errno == Errno.EINTR);

    /// <summary>Calls <see cref="Invoke{TAttr}"/> and throws a <see cref="BpfException"/> on failure.</summary>
    public static int InvokeOrThrow<TAttr>(BpfCommand command, ref TAttr attr)
        where TAttr : unmanaged
    {
        var result = Invoke(command, ref attr);
        return result >= 0 ? result : throw new BpfException(command, -result);
    }
}
