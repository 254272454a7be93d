using CsCheck;
using Membrane.Policy.Model;
using Membrane.Policy.Printing;
using Membrane.Policy.Reading;

namespace Membrane.Policy.Tests.Printing;

public sealed class PolicyPrinterTests
{
    /// <summary>
    /// Parsing what the printer writes gives the same model back. The check fails, for example,
    /// if the printer leaves strings such as "80" or "true" unquoted (they come back as a number
    /// or a boolean), or if the reader stops telling an empty list from a missing one.
    /// </summary>
    [Fact]
    public void Reading_what_the_printer_writes_gives_the_same_policy_back()
    {
        PolicyGenerators.Policy.Sample(policy =>
        {
            var yaml = PolicyPrinter.Print(policy);
            var read = PolicyReader.Read("roundtrip.yaml", yaml);

            var parsed = Assert.Single(read.Policies);
            Assert.Empty(parsed.Findings);
            Assert.Equal(policy, parsed.Document);
        }, iter: 500);
    }

    [Fact]
    public void Many_policies_print_as_many_documents()
    {
        var policies = PolicyGenerators.Policy.Array[3].Single();
        var read = PolicyReader.Read("many.yaml", PolicyPrinter.Print(policies));
        Assert.Equal(policies, read.Policies.Select(p => (CiliumPolicy)p.Document));
    }

    [Fact]
    public void Equality_ignores_positions_but_not_values()
    {
        var a = new IcmpField { Type = new Scalar("8", Source.ScalarKind.Number, new Source.SourcePosition("a", 1, 1)) };
        var b = new IcmpField { Type = new Scalar("8", Source.ScalarKind.Number, new Source.SourcePosition("b", 9, 9)), Position = new Source.SourcePosition("b", 9, 1) };
        var c = new IcmpField { Type = Scalar.String("8") };
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}
