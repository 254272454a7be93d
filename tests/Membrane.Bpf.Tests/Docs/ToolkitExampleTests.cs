using Membrane.Bpf.Tests.Support;

namespace Membrane.Bpf.Tests.Docs;

[Collection(KernelCollection.Name)]
public sealed class ToolkitExampleTests
{
    [Fact]
    public void Documentation_example_builds_loads_attaches_and_test_runs()
    {
        Root.Require();
        using var network = new TestNetwork();
        var (verdict, packets, disassembly) = InNetworkNamespace.Run(network.NamespaceA, () =>
            ToolkitExample.Run(InNetworkNamespace.InterfaceIndex(network.InterfaceA)));
        Assert.Equal(0u, verdict);
        Assert.True(packets >= 1, $"counted {packets}"); // the test run, plus any packet the fresh veth carried
        Assert.Contains("(85) call bpf_map_lookup_elem#1", disassembly);
        Assert.Contains("(db) lock *(u64 *)(r0 +0) += r1", disassembly);
    }

    [Fact]
    public void Documentation_quotes_the_example_verbatim()
    {
        // Both files are copied next to the test binaries by the project file.
        var source = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Docs", "ToolkitExample.cs"));
        var begin = source.IndexOf("// begin example\n", StringComparison.Ordinal) + "// begin example\n".Length;
        var example = source[begin..source.IndexOf("// end example", StringComparison.Ordinal)];
        var documentation = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Docs", "bpf-toolkit.md"));
        Assert.Contains(example, documentation);
    }
}
