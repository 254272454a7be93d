using Membrane.Policy.Engine.Labels;

namespace Membrane.Policy.Engine.Tests.Labels;

/// <summary>
/// <see cref="Label.Parse"/> reads Membrane's own state, so labels stored before <see cref="LabelSyntax"/> existed still
/// restore: it keeps its lenient reading, which the user-facing syntax refuses.
/// </summary>
public sealed class LabelTests
{
    [Theory]
    [InlineData("k8s:app=caf\u00E9", "k8s:app=caf\u00E9")]
    [InlineData("k8s:app=-x", "k8s:app=-x")]
    [InlineData("cidr:fd00::/8", "cidr:fd00::/8")]
    public void Reads_stored_labels_that_the_syntax_refuses(string stored, string label) =>
        Assert.Equal(label, Label.Parse(stored).ToString());
}
