using System.Globalization;
using System.Text;

namespace Membrane.Policy.Engine.Labels;

/// <summary>
/// How a label from outside Membrane is written, and the one check of it: the agent's API (<c>endpoint create
/// --labels</c>), the CLI's label options (<c>--src</c>, <c>--dst</c>, <c>--endpoint</c>) and identities files all
/// read labels here, through <see cref="LabelSet.TryParse"/> or <see cref="TryParse"/>.
/// <para>
/// A label is <c>[SOURCE:]KEY[=VALUE]</c>. The source is one Membrane knows (<c>k8s</c> when left out); the key and
/// the value are what Kubernetes accepts in a pod's labels (apimachinery's <c>IsQualifiedName</c> and
/// <c>IsValidLabelValue</c>): a key is a name of at most 63 characters of <c>[A-Za-z0-9-_.]</c>, beginning and ending
/// with a letter or digit, after an optional DNS-subdomain prefix and '/'; a value is empty or of the same form as a
/// name. Labels are printed in <c>endpoint list</c>, the monitor and traces, and kept in the state directory, so the
/// rule leaves no room for text that displays as something else: no white space, control characters, bidirectional
/// overrides, zero-width or other non-ASCII characters, anywhere. Nothing is trimmed: <c>"k8s:app=x\n"</c> is
/// refused, never stored as <c>k8s:app=x</c>, because what was sent would not be what is shown.
/// </para>
/// <para>
/// Membrane's own state is read with <see cref="Label.Parse"/> instead, so that labels stored before this rule still
/// restore.
/// </para>
/// </summary>
public static class LabelSyntax
{
    /// <summary>A name, the part of a key after its prefix: Kubernetes' <c>qualifiedNameMaxLength</c>.</summary>
    public const int MaxNameLength = 63;

    /// <summary>A key's prefix, a DNS subdomain (RFC 1123): Kubernetes' <c>DNS1123SubdomainMaxLength</c>.</summary>
    public const int MaxPrefixLength = 253;

    /// <summary>A value: Kubernetes' <c>LabelValueMaxLength</c>.</summary>
    public const int MaxValueLength = 63;

    /// <summary>The longest key: a namespace's label under <see cref="Label.NamespaceLabelsPrefix"/>, with a prefix.</summary>
    public static int MaxKeyLength { get; } = Label.NamespaceLabelsPrefix.Length + MaxPrefixLength + 1 + MaxNameLength;

    /// <summary>The longest label: the longest source, ':', the longest key, '=' and the longest value.</summary>
    public static int MaxLabelLength { get; } = Label.KnownSources.Max(s => s.Length) + 1 + MaxKeyLength + 1 + MaxValueLength;

    private const string NameRule =
        "a label name is at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

    private const string ValueRule =
        "a label value is empty or at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

    private const string PrefixRule =
        "a label key's prefix (before '/') is a DNS subdomain of at most 253 characters of [a-z0-9-.], "
        + "each part between dots beginning and ending with a letter or digit, as in Kubernetes";

    private const string SlashRule = "a label key is NAME or PREFIX/NAME, with at most one '/', as in Kubernetes";

    /// <summary>
    /// Reads <c>[SOURCE:]KEY[=VALUE]</c>, or says in <paramref name="error"/> which label is wrong (escaped, see
    /// <see cref="Quote"/>) and which rule it breaks. A label without a source, or with <c>any</c>, is a <c>k8s</c>
    /// label, as <see cref="Label.TryParse"/> has it.
    /// </summary>
    public static bool TryParse(string text, out Label label, out string error)
    {
        // The first '=' ends the key: a key has none, and a value with one is refused by the value's rule.
        var equals = text.IndexOf('=');
        return equals < 0
            ? TryCreate(text, "", text, out label, out error)
            : TryCreate(text[..equals], text[(equals + 1)..], text, out label, out error);
    }

    /// <summary>
    /// Checks a label given as a key (with an optional source) and a value, as an identities file's map
    /// <c>{app: web}</c> gives it; an error shows it as <c>key=value</c>.
    /// </summary>
    public static bool TryCreate(string key, string value, out Label label, out string error) =>
        TryCreate(key, value, $"{key}={value}", out label, out error);

    private static bool TryCreate(string keyText, string value, string written, out Label label, out string error)
    {
        label = default;
        if (written.Length == 0)
        {
            error = "an empty label; write source:key=value, like k8s:app=web";
            return false;
        }

        if (Check(keyText, value, out var source, out var key) is { } rule)
        {
            error = $"{Quote(written)}: {rule}";
            return false;
        }

        label = new Label(source == Label.SourceAny ? Label.SourceKubernetes : source, key, value);
        error = "";
        return true;
    }

    /// <summary>The rule the label breaks, or null.</summary>
    private static string? Check(string keyText, string value, out string source, out string key)
    {
        (source, key) = Label.SplitKey(keyText);
        if (key.Length == 0)
        {
            return "a label needs a key; write source:key=value, like k8s:app=web";
        }

        // SplitKey takes a known source off; a ':' left in the key is a source Membrane does not know (no key has
        // one: Kubernetes' names are [A-Za-z0-9-_.]). Said as such, rather than as a name that breaks the rule.
        if (key.IndexOf(':') is var colon and >= 0)
        {
            return $"{Quote(key[..colon])} is not a label source; a label is [SOURCE:]KEY[=VALUE], "
                + $"with a source of {string.Join(", ", Label.KnownSources)}";
        }

        return KeyError(key) ?? (IsNameOrValue(value) ? null : ValueRule);
    }

    /// <summary>
    /// The rule a key breaks, or null. Cilium gives an endpoint each label of its namespace as
    /// <c>io.cilium.k8s.namespace.labels.KEY</c>, where KEY is the namespace's own Kubernetes key: up to a 253-character
    /// prefix, '/' and a 63-character name. Read as one Kubernetes key, <c>io.cilium.k8s.namespace.labels.team</c> would
    /// be a name with 31 of its 63 characters already taken, and a namespace label of a valid 40-character name would
    /// be refused on the endpoint. So under that prefix, the rest is checked as the Kubernetes key it is.
    /// </summary>
    private static string? KeyError(string key)
    {
        if (key.StartsWith(Label.NamespaceLabelsPrefix, StringComparison.Ordinal))
        {
            return QualifiedNameError(key[Label.NamespaceLabelsPrefix.Length..]) is { } error
                ? $"after {Label.NamespaceLabelsPrefix} comes a namespace's label key, and {error}"
                : null;
        }

        return QualifiedNameError(key);
    }

    /// <summary>Kubernetes' <c>IsQualifiedName</c>: <c>[PREFIX/]NAME</c>, the rule it breaks or null.</summary>
    private static string? QualifiedNameError(string key)
    {
        var name = key.AsSpan();
        var slash = key.IndexOf('/');
        if (slash >= 0)
        {
            if (key.IndexOf('/', slash + 1) >= 0)
            {
                return SlashRule;
            }

            if (!IsDnsSubdomain(key.AsSpan(0, slash)))
            {
                return PrefixRule;
            }

            name = name[(slash + 1)..];
        }

        return name.Length > 0 && IsNameOrValue(name) ? null : NameRule;
    }

    /// <summary>
    /// Kubernetes' label value: empty, or <c>([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]</c> of at most 63 characters, which
    /// is also a name's form. Checked character by character rather than with a .NET regular expression, whose
    /// <c>$</c> also matches before a final "\n" (Go's, which Kubernetes uses, does not).
    /// </summary>
    private static bool IsNameOrValue(ReadOnlySpan<char> text)
    {
        if (text.Length == 0)
        {
            return true;
        }

        if (text.Length > MaxNameLength || !char.IsAsciiLetterOrDigit(text[0]) || !char.IsAsciiLetterOrDigit(text[^1]))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Kubernetes' <c>IsDNS1123Subdomain</c>: at most 253 characters, parts between dots of lower-case letters, digits
    /// and '-', each beginning and ending with a letter or digit (RFC 1123 §2.1 lets a part begin with a digit).
    /// </summary>
    private static bool IsDnsSubdomain(ReadOnlySpan<char> text)
    {
        if (text.Length is 0 or > MaxPrefixLength)
        {
            return false;
        }

        foreach (var range in text.Split('.'))
        {
            var part = text[range];
            if (part.Length == 0 || !IsLowerAlphanumeric(part[0]) || !IsLowerAlphanumeric(part[^1]))
            {
                return false;
            }

            foreach (var c in part)
            {
                if (!IsLowerAlphanumeric(c) && c != '-')
                {
                    return false;
                }
            }
        }

        return true;

        static bool IsLowerAlphanumeric(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
    }

    /// <summary>
    /// The text in double quotes, every character outside printable ASCII escaped (<c>\n</c>, <c>\t</c>, <c>\r</c>,
    /// <c>\u202E</c>), and '"' and '\' too: an error names the label it refuses, and printing that label raw would let
    /// a bidirectional override or a zero-width space hide what is wrong with it, the very spoofing the rule prevents.
    /// A long text keeps both ends, where a stray character most often is, and says how long it is.
    /// </summary>
    public static string Quote(string text)
    {
        const int Head = 48, Tail = 24;
        if (text.Length <= Head + Tail + 8)
        {
            return "\"" + Escape(text) + "\"";
        }

        return $"\"{Escape(text[..Head])}...{Escape(text[^Tail..])}\" ({text.Length.ToString(CultureInfo.InvariantCulture)} characters)";
    }

    private static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            _ = c switch
            {
                '\\' => builder.Append("\\\\"),
                '"' => builder.Append("\\\""),
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                >= ' ' and <= '~' => builder.Append(c),
                _ => builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)),
            };
        }

        return builder.ToString();
    }
}
