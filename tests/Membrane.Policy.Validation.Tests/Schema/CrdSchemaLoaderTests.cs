using Membrane.Policy.Validation.Schema;

namespace Membrane.Policy.Validation.Tests.Schema;

public sealed class CrdSchemaLoaderTests
{
    /// <summary>One row per construct the RE2-to-.NET rewrite must see: '$' ends the text, except where it does not.</summary>
    [Theory]
    [InlineData(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", @"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z")]
    [InlineData(@"^\PC*$", @"^\P{C}*\z")]
    [InlineData(@"^a|b$", @"^a|b\z")]
    [InlineData(@"^(a$|b)$", @"^(a\z|b)\z")]
    [InlineData(@"^\$$", @"^\$\z")]
    [InlineData(@"^[$]$", @"^[$]\z")]
    [InlineData(@"^[]$]$", @"^[]$]\z")]
    [InlineData(@"^[^]$]$", @"^[^]$]\z")]
    [InlineData(@"^[\]$]$", @"^[\]$]\z")]
    [InlineData(@"(?i)^a$", @"(?i)^a\z")]
    [InlineData(@"(?m)^a$", @"(?m)^a$")]
    [InlineData(@"(?m:^a$)b$", @"(?m:^a$)b\z")]
    [InlineData(@"(a(?m)b$)c$", @"(a(?m)b$)c\z")]
    [InlineData(@"(?m)a$(?-m)b$", @"(?m)a$(?-m)b\z")]
    [InlineData(@"(?P<n>a$)$", @"(?P<n>a\z)\z")]
    public void A_Go_pattern_is_rewritten_to_mean_the_same_in_dotnet(string re2, string dotnet) =>
        Assert.Equal(dotnet, CrdSchemaLoader.ToDotNet(re2));

    /// <summary>
    /// Patterns of Cilium's CRDs against what Go's regexp answers: a trailing "\n" is refused as the
    /// API server refuses it, with either .NET engine (the last pattern has nested repetition).
    /// </summary>
    [Theory]
    [InlineData(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", "web", true)]
    [InlineData(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", "", true)]
    [InlineData(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", "web\n", false)]
    [InlineData(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", "\n", false)]
    [InlineData(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", "example.com\n", false)]
    [InlineData(@"^\PC*$", "drop", true)]
    [InlineData(@"^\PC*$", "drop\n", false)]
    [InlineData(@"^([-a-zA-Z0-9_]+[.]?)+$", "example.com", true)]
    [InlineData(@"^([-a-zA-Z0-9_]+[.]?)+$", "example.com\n", false)]
    public void A_CRD_pattern_matches_as_Go_matches_it(string re2, string text, bool matches) =>
        Assert.Equal(matches, CrdSchemaLoader.Compile(re2).Value.IsMatch(text));
}
