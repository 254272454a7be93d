namespace Membrane.Datapath.Ebpf.Tests.Support;

/// <summary>This project's kernel tests run one at a time: each pings with a one-second timeout on a two-core machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DatapathKernelCollection
{
    public const string Name = "Datapath kernel";
}
