namespace Membrane.Testing;

/// <summary>
/// Kernel tests need root: CAP_BPF to load programs, CAP_NET_ADMIN for links, tc and attachments,
/// CAP_SYS_ADMIN for network namespaces and mounts. Without it they skip and say why.
/// </summary>
public static class Root
{
    public static void Require()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Xunit.Assert.Skip("needs root: this test changes the running kernel (BPF objects, network namespaces, links; CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)");
        }
    }
}
