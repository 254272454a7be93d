using Membrane.Policy.Engine.Labels;

namespace Membrane.Agent.Endpoints;

/// <summary>
/// An endpoint's labels as a request gives them, bounded as Kubernetes bounds a pod's (a value at most 63 characters,
/// a key at most 253 for its prefix and 63 for its name, RFC 1123): they become an identity, fill every map entry that
/// names it and every event, and are kept in the state directory, so a request cannot make them arbitrarily large.
/// </summary>
public static class EndpointLabels
{
    public const int MaxLabels = 64;

    public const int MaxKey = 253 + 1 + 63;

    public const int MaxValue = 63;

    /// <summary>The labels, or a <see cref="FormatException"/> whose message names what is wrong.</summary>
    public static LabelSet Parse(string text)
    {
        if (text.Length > MaxLabels * (MaxKey + MaxValue + 16))
        {
            throw new FormatException($"{text.Length} characters of labels; an endpoint has at most {MaxLabels} labels");
        }

        var labels = LabelSet.Parse(text);
        if (labels.Labels.Length > MaxLabels)
        {
            throw new FormatException($"{labels.Labels.Length} labels; an endpoint has at most {MaxLabels}");
        }

        foreach (var label in labels.Labels)
        {
            if (label.Key.Length > MaxKey || label.Value.Length > MaxValue)
            {
                throw new FormatException($"\"{Shorten(label.ToString())}\": a label's key has at most {MaxKey} characters and its value at most {MaxValue}, as in Kubernetes");
            }
        }

        return labels;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
