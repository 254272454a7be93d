using Membrane.Policy.Engine.Labels;

namespace Membrane.Policy.Engine.Tests.Labels;

public sealed class LabelSetTests
{
    [Theory]
    [InlineData("k8s:app=web", "k8s:app=web")]
    [InlineData("app=web,k8s:io.kubernetes.pod.namespace=shop", "k8s:app=web,k8s:io.kubernetes.pod.namespace=shop")]
    [InlineData("k8s:b=2,k8s:a=1", "k8s:a=1,k8s:b=2")]
    [InlineData("k8s:app=web,k8s:app=web", "k8s:app=web")]
    [InlineData("k8s:flag", "k8s:flag")]
    public void Parses_comma_separated_labels(string text, string parsed) => Assert.Equal(parsed, LabelSet.Parse(text).ToString());

    private const string ValueRule =
        "a label value is empty or at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

    [Theory]
    [InlineData("", "no labels; an endpoint needs at least one, like k8s:app=web")]
    [InlineData(",", "\",\" has an empty label (two commas, or a comma at one end)")]
    [InlineData("k8s:app=web,", "\"k8s:app=web,\" has an empty label (two commas, or a comma at one end)")]
    [InlineData("k8s:app=web,\n", "\"\\n\": a label name is at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes")]
    [InlineData("=web", "\"=web\": a label needs a key; write source:key=value, like k8s:app=web")]
    [InlineData("k8s:=web", "\"k8s:=web\": a label needs a key; write source:key=value, like k8s:app=web")]
    [InlineData("k8s:app=a=b", $"\"k8s:app=a=b\": {ValueRule}")]
    [InlineData("k8s:app=a,k8s:app=b", "the label k8s:app has two values, \"a\" and \"b\"")]
    public void Refuses_what_would_name_another_identity(string text, string error)
    {
        Assert.False(LabelSet.TryParse(text, out _, out var message));
        Assert.Equal(error, message);
        Assert.Equal(error, Assert.Throws<FormatException>(() => LabelSet.Parse(text)).Message);
    }

    /// <summary>
    /// Nothing around a label is trimmed, not even next to a comma: what was written is the label, or it is refused
    /// by name. (<c>"k8s:app=x\n"</c> used to be stored as <c>k8s:app=x</c>.)
    /// </summary>
    [Theory]
    [InlineData("k8s:app=x\n", $"\"k8s:app=x\\n\": {ValueRule}")]
    [InlineData("k8s:app=web, k8s:tier=db", "\" k8s:tier=db\": \" k8s\" is not a label source; a label is [SOURCE:]KEY[=VALUE], with a source of k8s, reserved, cidr, any, unspec, container")]
    [InlineData("k8s:app=web ,k8s:tier=db", $"\"k8s:app=web \": {ValueRule}")]
    [InlineData("app=web,tier=db\u200B", $"\"tier=db\\u200B\": {ValueRule}")]
    [InlineData("  ", "\"  \": a label name is at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes")]
    public void Trims_nothing(string text, string error)
    {
        Assert.False(LabelSet.TryParse(text, out _, out var message));
        Assert.Equal(error, message);
    }
}
