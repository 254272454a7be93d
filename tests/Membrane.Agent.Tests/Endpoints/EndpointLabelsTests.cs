using Membrane.Agent.Endpoints;
using Membrane.Policy.Engine.Labels;

namespace Membrane.Agent.Tests.Endpoints;

/// <summary>
/// Labels as <c>POST /v1/endpoints</c> (and so <c>membrane endpoint create --labels</c>) gives them: what Kubernetes
/// accepts in a pod's labels, nothing trimmed, and each refusal naming the label, escaped, and the rule it breaks. The
/// API answers 400 with <c>labels: </c> and this message.
/// </summary>
public sealed class EndpointLabelsTests
{
    private const string NameRule =
        "a label name is at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

    private const string ValueRule =
        "a label value is empty or at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

    private static readonly string Prefix253 = $"{new string('a', 63)}.{new string('b', 63)}.{new string('c', 63)}.{new string('d', 61)}";

    private static readonly string Name63 = "a" + new string('_', 61) + "z";

    // The rule itself is LabelSyntax's (its tests hold the whole table); these rows show the API reads labels by it.
    public static TheoryData<string, string> Accepted() => new()
    {
        { "k8s:app=web,k8s:tier=front", "k8s:app=web,k8s:tier=front" },
        { "app=web", "k8s:app=web" },
        { $"k8s:{Prefix253}/{Name63}={Name63}", $"k8s:{Prefix253}/{Name63}={Name63}" },
    };

    public static TheoryData<string, string> Refused() => new()
    {
        { "k8s:app=x\n", $"\"k8s:app=x\\n\": {ValueRule}" },
        { "k8s:app=\u202Ebew", $"\"k8s:app=\\u202Ebew\": {ValueRule}" },
        { "k8s:app=web\u200B", $"\"k8s:app=web\\u200B\": {ValueRule}" },
        { "k8s:app=caf\u00E9", $"\"k8s:app=caf\\u00E9\": {ValueRule}" },
        { "k8s:app=<b>x</b>", $"\"k8s:app=<b>x</b>\": {ValueRule}" },
        { $"k8s:{new string('n', 64)}=x", $"\"k8s:{new string('n', 64)}=x\": {NameRule}" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void Labels_Kubernetes_accepts_are_accepted(string text, string labels) =>
        Assert.Equal(labels, EndpointLabels.Parse(text).ToString());

    [Theory]
    [MemberData(nameof(Refused))]
    public void Labels_Kubernetes_refuses_are_refused_by_name_and_rule(string text, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => EndpointLabels.Parse(text)).Message);

    [Fact]
    public void At_most_64_labels()
    {
        var labels = string.Join(",", Enumerable.Range(0, 65).Select(i => $"k8s:l{i}=v"));

        Assert.Equal(64, EndpointLabels.Parse(string.Join(",", Enumerable.Range(0, 64).Select(i => $"k8s:l{i}=v"))).Labels.Length);
        Assert.Equal("65 labels; an endpoint has at most 64", Assert.Throws<FormatException>(() => EndpointLabels.Parse(labels)).Message);
    }

    [Fact]
    public void Text_longer_than_64_of_the_longest_labels_is_refused_before_it_is_read()
    {
        var text = new string('a', EndpointLabels.MaxLabels * (LabelSyntax.MaxLabelLength + 1) + 1);

        Assert.Equal($"{text.Length} characters of labels; an endpoint has at most 64 labels", Assert.Throws<FormatException>(() => EndpointLabels.Parse(text)).Message);
    }
}
