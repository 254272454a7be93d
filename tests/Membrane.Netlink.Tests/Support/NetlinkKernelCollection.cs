namespace Membrane.Netlink.Tests.Support;

/// <summary>The kernel tests of this project run one at a time: they create namespaces and ping between them, and
/// pings time out sooner on two busy cores. Their names (<see cref="TestNames"/>) keep them apart from other test
/// projects running at the same time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NetlinkKernelCollection
{
    public const string Name = "Netlink kernel";
}
