namespace Membrane.Bpf.Tests.Support;

/// <summary>Every test that touches the kernel runs in this collection, one at a time: they share bpffs, network
/// namespaces and the CPU that PROG_TEST_RUN measures.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelCollection
{
    public const string Name = "Kernel";
}
