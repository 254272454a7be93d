using Membrane.Netlink.Namespaces;
using Membrane.Netlink.Tests.Support;

namespace Membrane.Netlink.Tests.Namespaces;

[Collection(NetlinkKernelCollection.Name)]
public sealed class NetworkNamespaceTests
{
    [Fact]
    public void A_created_namespace_is_visible_to_ip_netns_and_deleting_removes_it()
    {
        Root.Require();
        var name = TestNames.Unique("ns");
        using (var created = NetworkNamespace.Create(name))
        {
            try
            {
                Assert.Contains(name, Command.Check("ip", "netns", "list"));
                Assert.Contains("lo", Command.Check("ip", "netns", "exec", name, "ip", "-o", "link", "show"));
                var error = Assert.Throws<NetlinkException>(() => NetworkNamespace.Create(name));
                Assert.Equal($"netns add {name}: EEXIST (File exists)", error.Message);

                // Code run in it runs on a dedicated thread, never a pool thread, inside the namespace (/proc/thread-self/net
                // is the calling thread's view; /proc/net would be the process's).
                var (poolThread, inside) = created.Run(() => (Thread.CurrentThread.IsThreadPoolThread, File.ReadAllText("/proc/thread-self/net/dev")));
                Assert.False(poolThread);
                Assert.DoesNotContain("eth0", inside);
                using var byPath = NetworkNamespace.OpenPath($"/run/netns/{name}");
                using var byName = NetworkNamespace.Open(name);
                Assert.Equal(
                    byPath.Run(() => File.ReadAllText("/proc/thread-self/net/dev")),
                    byName.Run(() => File.ReadAllText("/proc/thread-self/net/dev")));
            }
            finally
            {
                NetworkNamespace.Delete(name);
            }
        }

        Assert.False(NetworkNamespace.Exists(name));
        Assert.DoesNotContain(name, Command.Check("ip", "netns", "list"));
        var missing = Assert.Throws<NetlinkException>(() => NetworkNamespace.Delete(name));
        Assert.StartsWith($"netns delete {name} (umount /run/netns/{name}): ", missing.Message);
    }

    [Fact]
    public void An_unnamed_namespace_is_named_by_bind_and_keeps_its_inode_and_one_never_named_leaves_nothing()
    {
        Root.Require();
        var name = TestNames.Unique("nb");
        ulong inode;
        using (var unnamed = NetworkNamespace.CreateUnnamed())
        {
            inode = unnamed.Inode;
            Assert.Null(unnamed.Name);
            Assert.False(NetworkNamespace.Exists(name));
            using var named = unnamed.Bind(name);
            try
            {
                Assert.Equal(inode, named.Inode);
                Assert.Equal(inode, NetworkNamespace.InodeOfName(name));
                Assert.Contains(name, Command.Check("ip", "netns", "list"));
                Assert.Contains("lo", Command.Check("ip", "netns", "exec", name, "ip", "-o", "link", "show"));
                var taken = Assert.Throws<NetlinkException>(() => unnamed.Bind(name));
                Assert.Contains("EEXIST", taken.Message);
                Assert.False(NetworkNamespace.RemoveIfUnmounted(name), "a mounted namespace is not a leftover");
            }
            finally
            {
                NetworkNamespace.Delete(name);
            }
        }

        Assert.Null(NetworkNamespace.InodeOfName(name));

        // Another namespace has another inode; an empty file under /run/netns is not a namespace, and is a leftover.
        using (var other = NetworkNamespace.CreateUnnamed())
        {
            Assert.NotEqual(inode, other.Inode);
        }

        File.WriteAllBytes($"{NetworkNamespace.RunDirectory}/{name}", []);
        Assert.Null(NetworkNamespace.InodeOfName(name));
        Assert.True(NetworkNamespace.RemoveIfUnmounted(name));
        Assert.False(NetworkNamespace.Exists(name));
    }
}
