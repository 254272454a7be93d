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

    private static readonly string[] KnownSources = [SourceKubernetes, SourceReserved, SourceCidr, SourceAny, SourceUnspecified, "container", "unspec"];

    /// <summary>
    /// Splits a selector or label key into source and key: <c>k8s:app</c> → (k8s, app); a key with
    /// no known source prefix (<c>app</c>, <c>io.kubernetes.pod.namespace</c>) → (any, key).
    /// </summary>
    public static (string Source, string Key) SplitKey(string text)
    {
        var colon = text.IndexOf(':');
        if (colon > 0 && KnownSources.Contains(text[..colon]))
        {
            return (text[..colon], text[(colon + 1)..]);
        }

        return (SourceAny, text);
    }

    /// <summary>Parses <c>source:key=value</c>; a missing source is <c>k8s</c>, as for pod labels.</summary>
    public static Label Parse(string text)
    {
        var equals = text.IndexOf('=');
        var keyText = equals < 0 ? text : text[..equals];
        var value = equals < 0 ? "" : text[(equals + 1)..];
        var (source, key) = SplitKey(keyText.Trim());
        if (key.Length == 0)
        {
            throw new FormatException($"\"{text}\" is not a label: write source:key=value, like k8s:app=web");
        }

        return new Label(source == SourceAny ? SourceKubernetes : source, key, value.Trim());
    }

    public override string ToString() => Value.Length == 0 ? $"{Source}:{Key}" : $"{Source}:{Key}={Value}";
}
