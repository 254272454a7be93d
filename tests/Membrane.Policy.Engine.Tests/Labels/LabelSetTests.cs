using Membrane.Policy.Engine.Labels;

namespace Membrane.Policy.Engine.Tests.Labels;

public sealed class LabelSetTests
{
    [Theory]
    [InlineData("k8s:app=web", "k8s:app=web")]
    [InlineData("app=web, k8s:io.kubernetes.pod.namespace=shop", "k8s:app=web,k8s:io.kubernetes.pod.namespace=shop")]
    [InlineData("k8s:b=2,k8s:a=1", "k8s:a=1,k8s:b=2")]
    [InlineData("k8s:app=web,k8s:app=web", "k8s:app=web")]
    [InlineData("k8s:flag", "k8s:flag")]
    public void Parses_comma_separated_labels(string text, string parsed) => Assert.Equal(parsed, LabelSet.Parse(text).ToString());

    [Theory]
    [InlineData("", "no labels; an endpoint needs at least one, like k8s:app=web")]
    [InlineData("  ", "no labels; an endpoint needs at least one, like k8s:app=web")]
    [InlineData(",", "\",\" has an empty label (two commas, or a comma at one end)")]
    [InlineData("k8s:app=web,", "\"k8s:app=web,\" has an empty label (two commas, or a comma at one end)")]
    [InlineData("=web", "\"=web\" is not a label: a label needs a key; write source:key=value, like k8s:app=web")]
    [InlineData("k8s:=web", "\"k8s:=web\" is not a label: a label needs a key; write source:key=value, like k8s:app=web")]
    [InlineData("k8s:my app=web", "\"k8s:my app=web\" is not a label: a label has no spaces or control characters")]
    [InlineData("k8s:app=a\tb", "\"k8s:app=a\tb\" is not a label: a label has no spaces or control characters")]
    [InlineData("k8s:app=a=b", "\"k8s:app=a=b\" is not a label: a label value has no '=' or ','")]
    [InlineData("k8s:app=a,k8s:app=b", "the label k8s:app has two values, \"a\" and \"b\"")]
    public void Refuses_what_would_name_another_identity(string text, string error)
    {
        Assert.False(LabelSet.TryParse(text, out _, out var message));
        Assert.Equal(error, message);
        Assert.Equal(error, Assert.Throws<FormatException>(() => LabelSet.Parse(text)).Message);
    }
}
