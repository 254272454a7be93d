namespace Membrane.Policy.Engine.Labels;

/// <summary>
/// A label with its source: <c>k8s:app=web</c> has source <c>k8s</c>, key <c>app</c>, value
/// <c>web</c>. Sources say where a label came from (<c>k8s</c>, <c>reserved</c>, <c>cidr</c>); a
/// selector key written without a source matches a label of any source.
/// </summary>
public readonly record struct Label(string Source, string Key, string Value)
{
    public const string SourceKubernetes = "k8s";
    public const string SourceReserved = "reserved";
    public const string SourceCidr = "cidr";
    public const string SourceAny = "any";
    public const string SourceUnspecified = "unspec";

    /// <summary>The label that puts a pod in a namespace.</summary>
    public const string NamespaceKey = "io.kubernetes.pod.namespace";

    /// <summary>The prefix under which Cilium gives an endpoint its namespace's labels.</summary>
    public const string NamespaceLabelsPrefix = "io.cilium.k8s.namespace.labels.";

    /// <summary>The sources a label may be written with; <see cref="LabelSyntax"/> names them when one is not.</summary>
    internal static readonly string[] KnownSources = [SourceKubernetes, SourceReserved, SourceCidr, SourceAny, SourceUnspecified, "container"];

    /// <summary>
    /// Splits a selector or label key into source and key: <c>k8s:app</c> → (k8s, app); a key with
    /// no known source prefix (<c>app</c>, <c>io.kubernetes.pod.namespace</c>) → (any, key).
    /// </summary>
    public static (string Source, string Key) SplitKey(string text)
    {
        var colon = text.IndexOf(':');
        if (colon > 0)
        {
            foreach (var known in KnownSources)
            {
                if (text.AsSpan(0, colon).SequenceEqual(known))
                {
                    return (known, text[(colon + 1)..]);
                }
            }
        }

        return (SourceAny, text);
    }

    /// <summary>
    /// Parses <c>source:key=value</c>; a missing source is <c>k8s</c>, as for pod labels. This is the lenient reading,
    /// for labels Membrane wrote itself (its state directory), so that labels stored before <see cref="LabelSyntax"/>
    /// still restore; labels from a user, a request or a file are read with <see cref="LabelSyntax.TryParse"/>.
    /// </summary>
    public static Label Parse(string text) =>
        TryParse(text, out var label, out var error) ? label : throw new FormatException($"\"{text}\" is not a label: {error}");

    /// <summary>
    /// Parses <c>source:key=value</c>, or says in <paramref name="error"/> why the text is not a
    /// label. Refused: an empty key, and characters that would make the label mean something else
    /// once printed or joined into a label set (white space and control characters anywhere; '=' and
    /// ',' in a value, which <c>k8s:a=b,c</c> would split differently).
    /// </summary>
    public static bool TryParse(string text, out Label label, out string error)
    {
        label = default;
        var trimmed = text.Trim();
        var equals = trimmed.IndexOf('=');
        var keyText = equals < 0 ? trimmed : trimmed[..equals].TrimEnd();
        var value = equals < 0 ? "" : trimmed[(equals + 1)..].TrimStart();
        var (source, key) = SplitKey(keyText);
        if (trimmed.Length == 0)
        {
            error = "an empty label; write source:key=value, like k8s:app=web";
            return false;
        }

        if (key.Length == 0)
        {
            error = "a label needs a key; write source:key=value, like k8s:app=web";
            return false;
        }

        if (HasSpaceOrControl(key) || HasSpaceOrControl(value))
        {
            error = "a label has no spaces or control characters";
            return false;
        }

        if (value.Contains('=') || value.Contains(','))
        {
            error = "a label value has no '=' or ','";
            return false;
        }

        label = new Label(source == SourceAny ? SourceKubernetes : source, key, value);
        error = "";
        return true;
    }

    private static bool HasSpaceOrControl(string text)
    {
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => Value.Length == 0 ? $"{Source}:{Key}" : $"{Source}:{Key}={Value}";
}
