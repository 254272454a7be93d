using Membrane.Policy.Engine.Labels;

namespace Membrane.Policy.Engine.Tests.Labels;

/// <summary>
/// The one syntax of labels from outside Membrane: one row per label accepted or refused, through
/// <see cref="LabelSyntax.TryParse"/> and through <see cref="LabelSet.TryParse"/>, which the API, the CLI and identities
/// files call, so that both give the same answer.
/// </summary>
public sealed class LabelSyntaxTests
{
    private const string NameRule =
        "a label name is at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

    private const string ValueRule =
        "a label value is empty or at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

    private const string PrefixRule =
        "a label key's prefix (before '/') is a DNS subdomain of at most 253 characters of [a-z0-9-.], each part between dots beginning and ending with a letter or digit, as in Kubernetes";

    private const string SlashRule = "a label key is NAME or PREFIX/NAME, with at most one '/', as in Kubernetes";

    private const string Sources = "a label is [SOURCE:]KEY[=VALUE], with a source of k8s, reserved, cidr, any, unspec, container";

    private const string NamespaceLabels = "k8s:io.cilium.k8s.namespace.labels.";

    /// <summary>A DNS subdomain of 253 characters, the longest Kubernetes allows as a key's prefix.</summary>
    private static readonly string Prefix253 = $"{new string('a', 63)}.{new string('b', 63)}.{new string('c', 63)}.{new string('d', 61)}";

    private static readonly string Name63 = "n" + new string('-', 61) + "9";

    public static TheoryData<string, string> Accepted() => new()
    {
        { "k8s:app=web", "k8s:app=web" },
        { "app=web", "k8s:app=web" },
        { "any:app=web", "k8s:app=web" },
        { "container:app=web", "container:app=web" },
        { "reserved:host", "reserved:host" },
        { "k8s:flag", "k8s:flag" },
        { "k8s:app=", "k8s:app" },
        { "k8s:App.v1-beta_2=Web.v1-beta_2", "k8s:App.v1-beta_2=Web.v1-beta_2" },
        { "k8s:a=b", "k8s:a=b" },
        { "k8s:0=1", "k8s:0=1" },
        { "example.com/app=web", "k8s:example.com/app=web" },
        { "k8s:app.kubernetes.io/name=web", "k8s:app.kubernetes.io/name=web" },
        { "k8s:1-2.example/app=web", "k8s:1-2.example/app=web" },
        { $"k8s:{Name63}={Name63}", $"k8s:{Name63}={Name63}" },
        { $"k8s:{Prefix253}/{Name63}=x", $"k8s:{Prefix253}/{Name63}=x" },
        { "k8s:io.kubernetes.pod.namespace=shop", "k8s:io.kubernetes.pod.namespace=shop" },
        { "k8s:io.cilium.k8s.policy.serviceaccount=default", "k8s:io.cilium.k8s.policy.serviceaccount=default" },
        { "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=shop", "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=shop" },
        { "k8s:io.cilium.k8s.namespace.labels.team=a", "k8s:io.cilium.k8s.namespace.labels.team=a" },

        // A namespace's own label of a 63-character name: 94 characters as one key, a valid key after the prefix.
        { $"{NamespaceLabels}{Name63}=x", $"{NamespaceLabels}{Name63}=x" },
        { $"{NamespaceLabels}{Prefix253}/{Name63}=x", $"{NamespaceLabels}{Prefix253}/{Name63}=x" },
        { "cidr:10.0.0.0/8", "cidr:10.0.0.0/8" },
    };

    public static TheoryData<string, string> Refused() => new()
    {
        // Nothing is trimmed: a control character or a space at either end of the key or the value breaks its rule.
        { "k8s:app=x\n", $"\"k8s:app=x\\n\": {ValueRule}" },
        { "k8s:app=\nx", $"\"k8s:app=\\nx\": {ValueRule}" },
        { "k8s:app\n=x", $"\"k8s:app\\n=x\": {NameRule}" },
        { "k8s:\napp=x", $"\"k8s:\\napp=x\": {NameRule}" },
        { "\nk8s:app=x", $"\"\\nk8s:app=x\": \"\\nk8s\" is not a label source; {Sources}" },
        { "k8s:app=x\t", $"\"k8s:app=x\\t\": {ValueRule}" },
        { "k8s:app=\tx", $"\"k8s:app=\\tx\": {ValueRule}" },
        { "k8s:app\t=x", $"\"k8s:app\\t=x\": {NameRule}" },
        { "k8s:\tapp=x", $"\"k8s:\\tapp=x\": {NameRule}" },
        { "k8s:app=x ", $"\"k8s:app=x \": {ValueRule}" },
        { "k8s:app= x", $"\"k8s:app= x\": {ValueRule}" },
        { "k8s:app =x", $"\"k8s:app =x\": {NameRule}" },
        { " k8s:app=x", $"\" k8s:app=x\": \" k8s\" is not a label source; {Sources}" },
        { "app=x\r", $"\"app=x\\r\": {ValueRule}" },
        { "k8s:my app=web", $"\"k8s:my app=web\": {NameRule}" },
        { "k8s:app=a\tb", $"\"k8s:app=a\\tb\": {ValueRule}" },

        // What displays as something else: a bidirectional override, a zero-width space, non-ASCII letters, markup.
        { "k8s:app=\u202Ebew", $"\"k8s:app=\\u202Ebew\": {ValueRule}" },
        { "k8s:app\u202E=web", $"\"k8s:app\\u202E=web\": {NameRule}" },
        { "k8s:app=web\u200B", $"\"k8s:app=web\\u200B\": {ValueRule}" },
        { "k8s:app=caf\u00E9", $"\"k8s:app=caf\\u00E9\": {ValueRule}" },
        { "k8s:\u0430pp=web", $"\"k8s:\\u0430pp=web\": {NameRule}" },
        { "k8s:app=<b>x</b>", $"\"k8s:app=<b>x</b>\": {ValueRule}" },
        { "k8s:<b>app</b>=x", $"\"k8s:<b>app</b>=x\": {PrefixRule}" },
        { "k8s:app=<b>x", $"\"k8s:app=<b>x\": {ValueRule}" },
        { "k8s:app=\"x\"", $"\"k8s:app=\\\"x\\\"\": {ValueRule}" },
        { "k8s:app=\u001B[31mx", $"\"k8s:app=\\u001B[31mx\": {ValueRule}" },

        // Kubernetes' lengths and ends.
        { $"k8s:app={new string('v', 64)}", $"\"k8s:app={new string('v', 64)}\": {ValueRule}" },
        { $"k8s:{new string('n', 64)}=x", $"\"k8s:{new string('n', 64)}=x\": {NameRule}" },
        { $"k8s:{Prefix253}x/app=web", $"\"k8s:{Prefix253[..44]}...{Prefix253[^15..]}x/app=web\" (266 characters): {PrefixRule}" },
        { "k8s:app=-x", $"\"k8s:app=-x\": {ValueRule}" },
        { "k8s:app=x-", $"\"k8s:app=x-\": {ValueRule}" },
        { "k8s:app=.x", $"\"k8s:app=.x\": {ValueRule}" },
        { "k8s:app=_x", $"\"k8s:app=_x\": {ValueRule}" },
        { "k8s:-app=x", $"\"k8s:-app=x\": {NameRule}" },
        { "k8s:app.=x", $"\"k8s:app.=x\": {NameRule}" },
        { "k8s:app=a=b", $"\"k8s:app=a=b\": {ValueRule}" },
        { "k8s:app=a/b", $"\"k8s:app=a/b\": {ValueRule}" },

        // A key's prefix is a lower-case DNS subdomain, and a key has one.
        { "k8s:Example.com/app=web", $"\"k8s:Example.com/app=web\": {PrefixRule}" },
        { "k8s:example..com/app=web", $"\"k8s:example..com/app=web\": {PrefixRule}" },
        { "k8s:example-.com/app=web", $"\"k8s:example-.com/app=web\": {PrefixRule}" },
        { "k8s:.example.com/app=web", $"\"k8s:.example.com/app=web\": {PrefixRule}" },
        { "k8s:ex_ample.com/app=web", $"\"k8s:ex_ample.com/app=web\": {PrefixRule}" },
        { "k8s:/app=web", $"\"k8s:/app=web\": {PrefixRule}" },
        { "k8s:example.com/=web", $"\"k8s:example.com/=web\": {NameRule}" },
        { "k8s:a/b/c=web", $"\"k8s:a/b/c=web\": {SlashRule}" },

        // Under io.cilium.k8s.namespace.labels. the rest is the namespace's own key.
        { $"{NamespaceLabels}{new string('n', 64)}=x", $"\"{NamespaceLabels}{new string('n', 13)}...{new string('n', 22)}=x\" (101 characters): after io.cilium.k8s.namespace.labels. comes a namespace's label key, and {NameRule}" },
        { $"{NamespaceLabels}=x", $"\"{NamespaceLabels}=x\": after io.cilium.k8s.namespace.labels. comes a namespace's label key, and {NameRule}" },
        { $"{NamespaceLabels}-team=x", $"\"{NamespaceLabels}-team=x\": after io.cilium.k8s.namespace.labels. comes a namespace's label key, and {NameRule}" },

        // Sources and keys.
        { "foo:app=web", $"\"foo:app=web\": \"foo\" is not a label source; {Sources}" },
        { "K8S:app=web", $"\"K8S:app=web\": \"K8S\" is not a label source; {Sources}" },
        { "k8s:a:b=web", $"\"k8s:a:b=web\": \"a\" is not a label source; {Sources}" },
        { "=web", "\"=web\": a label needs a key; write source:key=value, like k8s:app=web" },
        { "k8s:=web", "\"k8s:=web\": a label needs a key; write source:key=value, like k8s:app=web" },
        { "reserved:", "\"reserved:\": a label needs a key; write source:key=value, like k8s:app=web" },
        { "", "an empty label; write source:key=value, like k8s:app=web" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void Accepts_what_Kubernetes_accepts(string text, string parsed)
    {
        Assert.True(LabelSyntax.TryParse(text, out var label, out var error), error);
        Assert.Equal(parsed, label.ToString());
        Assert.True(LabelSet.TryParse(text, out var set, out error), error);
        Assert.Equal(parsed, set.ToString());
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refuses_what_Kubernetes_refuses_naming_the_label_escaped_and_the_rule(string text, string error)
    {
        Assert.False(LabelSyntax.TryParse(text, out _, out var message));
        Assert.Equal(error, message);
        if (text.Length > 0)
        {
            Assert.False(LabelSet.TryParse(text, out _, out var setMessage));
            Assert.Equal(error, setMessage);
        }

        // Whatever was refused, the message itself prints as it reads.
        Assert.All(message, c => Assert.InRange(c, ' ', '~'));
    }

    [Theory]
    [InlineData("app", "web", "k8s:app=web")]
    [InlineData("k8s:app", "", "k8s:app")]
    [InlineData("example.com/app", "web", "k8s:example.com/app=web")]
    public void Creates_a_label_from_a_key_and_a_value(string key, string value, string label)
    {
        Assert.True(LabelSyntax.TryCreate(key, value, out var created, out var error), error);
        Assert.Equal(label, created.ToString());
    }

    [Theory]
    [InlineData("app=x", "web", $"\"app=x=web\": {NameRule}")]
    [InlineData("app", "web\n", $"\"app=web\\n\": {ValueRule}")]
    [InlineData("app", "a=b", $"\"app=a=b\": {ValueRule}")]
    [InlineData("", "web", "\"=web\": a label needs a key; write source:key=value, like k8s:app=web")]
    public void Checks_a_key_and_a_value_each_by_its_own_rule(string key, string value, string error)
    {
        Assert.False(LabelSyntax.TryCreate(key, value, out _, out var message));
        Assert.Equal(error, message);
    }

    [Theory]
    [InlineData("k8s:app=web", "\"k8s:app=web\"")]
    [InlineData("a\\b\"c", "\"a\\\\b\\\"c\"")]
    [InlineData("\u0000\u007F\u0085\u2066\uFEFF", "\"\\u0000\\u007F\\u0085\\u2066\\uFEFF\"")]
    [InlineData("\uD83D\uDE00", "\"\\uD83D\\uDE00\"")]
    public void Quotes_with_every_character_outside_printable_ascii_escaped(string text, string quoted) =>
        Assert.Equal(quoted, LabelSyntax.Quote(text));

    [Fact]
    public void Quotes_a_long_text_by_both_ends_and_its_length()
    {
        var text = new string('a', 100) + "\n";
        Assert.Equal($"\"{new string('a', 48)}...{new string('a', 23)}\\n\" (101 characters)", LabelSyntax.Quote(text));
        Assert.Equal($"\"{new string('a', 80)}\"", LabelSyntax.Quote(new string('a', 80)));
    }

    [Fact]
    public void The_longest_key_is_a_namespace_label_with_a_prefix()
    {
        Assert.Equal(31 + 253 + 1 + 63, LabelSyntax.MaxKeyLength);
        Assert.Equal("container".Length + 1 + LabelSyntax.MaxKeyLength + 1 + 63, LabelSyntax.MaxLabelLength);
    }
}
