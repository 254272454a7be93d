namespace Membrane.Bpf.Tests.Support;

/// <summary>Kernel tests need root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for mounting bpffs and namespaces).</summary>
internal static class Root
{
    public static void Require()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("needs root: this test loads BPF objects into the running kernel (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)");
        }
    }
}
