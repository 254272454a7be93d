namespace Membrane.Datapath.Ebpf.Tests.Support;

/// <summary>Kernel tests need root: CAP_BPF to load programs, CAP_NET_ADMIN to attach them, CAP_SYS_ADMIN for namespaces.</summary>
internal static class Root
{
    public static void Require()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("needs root: this test loads and attaches BPF programs and creates network namespaces (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)");
        }
    }
}
