using Membrane.Policy.Engine.Labels;

namespace Membrane.Agent.Endpoints;

/// <summary>
/// An endpoint's labels as a request gives them, written and bounded as Kubernetes bounds a pod's: each label as
/// <see cref="LabelSyntax"/> reads it (a key of at most a 253-character prefix and a 63-character name, a value of at
/// most 63, RFC 1123, nothing else and nothing trimmed), and at most <see cref="MaxLabels"/> of them. They become an
/// identity, fill every map entry that names it and every event, are shown by <c>endpoint list</c> and the monitor, and
/// are kept in the state directory, so a request can make them neither arbitrarily large nor display as other labels.
/// </summary>
public static class EndpointLabels
{
    public const int MaxLabels = 64;

    /// <summary>The labels, or a <see cref="FormatException"/> whose message names the label and the rule it breaks.</summary>
    public static LabelSet Parse(string text)
    {
        // Bounded before parsing: the longest labels, with their commas.
        if (text.Length > MaxLabels * (LabelSyntax.MaxLabelLength + 1))
        {
            throw new FormatException($"{text.Length} characters of labels; an endpoint has at most {MaxLabels} labels");
        }

        if (!LabelSet.TryParse(text, out var labels, out var error))
        {
            throw new FormatException(error);
        }

        if (labels.Labels.Length > MaxLabels)
        {
            throw new FormatException($"{labels.Labels.Length} labels; an endpoint has at most {MaxLabels}");
        }

        // An endpoint labelled reserved:host would be selected by fromEntities: [host] (entities select by their
        // reserved: labels), and cidr: labels by CIDR rules' selectors: those labels are the agent's to give.
        if (labels.Labels.FirstOrDefault(l => l.Source is Label.SourceReserved or Label.SourceCidr) is { Source: not null } claimed)
        {
            throw new FormatException($"{claimed}: {claimed.Source}: labels belong to the identities Membrane makes itself (reserved and CIDR identities), not to endpoints");
        }

        return labels;
    }
}
