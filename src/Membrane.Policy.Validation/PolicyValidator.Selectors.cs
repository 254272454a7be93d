using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Values;

namespace Membrane.Policy.Validation;

public sealed partial class PolicyValidator
{
    private void ValidateSelectors(PolicyList<LabelSelector> selectors, string path)
    {
        for (var i = 0; i < selectors.Count; i++)
        {
            ValidateSelector(selectors[i], FieldPath.Index(path, i));
        }
    }

    /// <summary>
    /// Label selector requirements as Kubernetes defines them. A wrong operator is an error, never
    /// a selector that silently matches nothing (Cilium's behaviour with "in").
    /// </summary>
    private void ValidateSelector(LabelSelector selector, string path, bool kubernetesSyntax = false)
    {
        for (var i = 0; i < selector.MatchLabels.Count; i++)
        {
            var (key, value) = selector.MatchLabels[i];
            var keyPath = FieldPath.Child(FieldPath.Child(path, "matchLabels"), key.Text);
            if (key.Text.Length == 0)
            {
                Error(FieldErrorKind.Invalid, keyPath, key.Position, "a label key cannot be empty", "", code: "MBR2050");
            }
            else if (kubernetesSyntax)
            {
                ValidateKubernetesLabel(key, value, keyPath);
            }
        }

        for (var i = 0; i < selector.MatchExpressions.Count; i++)
        {
            var requirement = selector.MatchExpressions[i];
            var requirementPath = FieldPath.Index(FieldPath.Child(path, "matchExpressions"), i);
            if (requirement.Key is not { Text.Length: > 0 } key)
            {
                Error(FieldErrorKind.Required, FieldPath.Child(requirementPath, "key"), requirement.Position, "a requirement needs a key", code: "MBR2051");
            }
            else if (kubernetesSyntax)
            {
                ValidateKubernetesLabel(key, null, FieldPath.Child(requirementPath, "key"));
            }

            var valuesPath = FieldPath.Child(requirementPath, "values");
            switch (requirement.Operator?.Text)
            {
                case null:
                    Error(FieldErrorKind.Required, FieldPath.Child(requirementPath, "operator"), requirement.Position, "a requirement needs an operator: In, NotIn, Exists or DoesNotExist", code: "MBR2052");
                    break;
                case SelectorOperators.In or SelectorOperators.NotIn:
                    if (requirement.Values.IsEmpty)
                    {
                        Error(FieldErrorKind.Required, valuesPath, requirement.Position, $"{requirement.Operator.Value.Text} needs at least one value", code: "MBR2053");
                    }

                    // The API server checks In and NotIn values as label values
                    // (apimachinery's ValidateLabelSelectorRequirement); a value no label can
                    // have would make the selector silently match nothing.
                    for (var v = 0; kubernetesSyntax && v < requirement.Values.Count; v++)
                    {
                        if (!IsLabelValue(requirement.Values[v].Text))
                        {
                            Error(FieldErrorKind.Invalid, FieldPath.Index(valuesPath, v), requirement.Values[v].Position,
                                "a label value is empty or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit", requirement.Values[v].Text, code: "MBR2054");
                        }
                    }

                    break;
                case SelectorOperators.Exists or SelectorOperators.DoesNotExist:
                    if (!requirement.Values.IsEmpty)
                    {
                        Error(FieldErrorKind.Forbidden, valuesPath, requirement.Values[0].Position, $"{requirement.Operator.Value.Text} takes no values", code: "MBR2055");
                    }

                    break;
                default:
                    var op = requirement.Operator.Value;
                    var suggestion = NameSuggester.Suggest(op.Text, SelectorOperators.Names);
                    var detail = suggestion is not null && string.Equals(suggestion, op.Text, StringComparison.OrdinalIgnoreCase)
                        ? "operators are case-sensitive; Cilium logs an error and the selector matches nothing"
                        : "the operator must be In, NotIn, Exists or DoesNotExist";
                    Error(FieldErrorKind.NotSupported, FieldPath.Child(requirementPath, "operator"), op.Position, detail, op.Text,
                        suggestion is null ? null : $"did you mean \"{suggestion}\"?", code: "MBR2056");
                    break;
            }
        }
    }

    private void ValidateKubernetesLabel(Scalar key, Scalar? value, string path)
    {
        var name = key.Text;
        var slash = name.IndexOf('/');
        if (slash >= 0)
        {
            var prefix = name[..slash];
            name = name[(slash + 1)..];
            if (prefix.Length == 0 || !IsDnsSubdomain(prefix))
            {
                Error(FieldErrorKind.Invalid, path, key.Position, "a label key's prefix must be a DNS subdomain", key.Text, code: "MBR2057");
                return;
            }
        }

        if (!IsLabelValue(name) || name.Length == 0)
        {
            Error(FieldErrorKind.Invalid, path, key.Position,
                "a label name is at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit", key.Text, code: "MBR2058");
        }

        if (value is { } v && !IsLabelValue(v.Text))
        {
            Error(FieldErrorKind.Invalid, path, v.Position,
                "a label value is empty or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit", v.Text, code: "MBR2059");
        }
    }

    private static bool IsLabelValue(string text) =>
        text.Length == 0 || (text.Length <= 63 && char.IsAsciiLetterOrDigit(text[0]) && char.IsAsciiLetterOrDigit(text[^1])
            && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'));
}
