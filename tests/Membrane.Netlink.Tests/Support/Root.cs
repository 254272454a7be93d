namespace Membrane.Netlink.Tests.Support;

/// <summary>Kernel tests need root: CAP_NET_ADMIN for rtnetlink changes, CAP_SYS_ADMIN for namespaces and mounts.</summary>
internal static class Root
{
    public static void Require()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("needs root: this test changes network namespaces, links and tc in the running kernel (CAP_NET_ADMIN, CAP_SYS_ADMIN)");
        }
    }
}
