using System.Runtime.InteropServices;
using Membrane.Bpf.Interop;

namespace Membrane.Bpf.Tests.Interop;

public sealed class BpfSyscallTests
{
    [Theory]
    [InlineData(Architecture.X64, 321L)] // arch/x86/entry/syscalls/syscall_64.tbl
    [InlineData(Architecture.Arm64, 280L)] // include/uapi/asm-generic/unistd.h, as are the next two
    [InlineData(Architecture.RiscV64, 280L)]
    [InlineData(Architecture.LoongArch64, 280L)]
    public void Bpf_syscall_number_is_the_architecture_s(Architecture architecture, long number)
    {
        Assert.Equal(number, BpfSyscall.NumberFor(architecture));
        Assert.Equal(number, BpfSyscall.RequireNumber(architecture));
    }

    [Theory]
    [InlineData(Architecture.X86)]
    [InlineData(Architecture.Arm)]
    [InlineData(Architecture.S390x)]
    [InlineData(Architecture.Ppc64le)]
    public void Unsupported_architecture_is_refused_by_name(Architecture architecture)
    {
        Assert.Null(BpfSyscall.NumberFor(architecture));
        var error = Assert.Throws<PlatformNotSupportedException>(() => BpfSyscall.RequireNumber(architecture));
        Assert.Contains(architecture.ToString(), error.Message);
    }
}
