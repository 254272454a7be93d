using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Tests;

public sealed class NameSuggesterTests
{
    [Theory]
    [InlineData("icmp", "icmps")]
    [InlineData("feilds", "fields")]
    [InlineData("TOPORTS", "toPorts")]
    [InlineData("zzzzzz", null)]
    public void Suggests_the_close_name(string written, string? expected)
    {
        Assert.Equal(expected, NameSuggester.Suggest(written, ["icmps", "fields", "toPorts", "ingress"]));
    }

    [Fact]
    public void A_megabyte_key_costs_no_distance_computation()
    {
        // The distance is quadratic; a key far longer than every candidate cannot be close to one.
        var written = new string('k', 1_000_000);
        var before = GC.GetAllocatedBytesForCurrentThread();

        Assert.Null(NameSuggester.Suggest(written, ["endpointSelector", "ingress", "egress", "ingressDeny", "egressDeny"]));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "a key this long must not be lowered or compared");
    }
}
