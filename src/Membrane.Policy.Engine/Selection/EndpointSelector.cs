using System.Collections.Immutable;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Model;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Selection;

/// <summary>
/// A compiled label selector. It selects endpoint identities by their labels. Reserved identities
/// (host, world, ...) are selected only by a selector that names a <c>reserved:</c> label, and CIDR
/// identities never: an empty selector <c>{}</c> means "every endpoint", not "every peer" (the
/// secure reading; <c>fromEntities: [all]</c> is how to say every peer).
/// </summary>
public sealed class EndpointSelector
{
    private readonly bool _selectsReserved;

    public EndpointSelector(ImmutableArray<LabelRequirement> requirements)
    {
        Requirements = requirements;
        _selectsReserved = requirements.Any(r => r.Source == Label.SourceReserved && r.Operator is SelectorOperator.In or SelectorOperator.Exists);
    }

    public ImmutableArray<LabelRequirement> Requirements { get; }

    public bool Matches(Identity identity) =>
        !identity.IsCidr && (!identity.IsReserved || _selectsReserved) && Matches(identity.Labels);

    /// <summary>Whether a subject endpoint's labels match (subjects are always endpoints).</summary>
    public bool Matches(LabelSet labels)
    {
        // A loop, not LINQ: this runs for every (selector, identity) pair the resolver considers.
        foreach (var requirement in Requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Compiles a selector. With <paramref name="namespace"/>, the selector is limited to that
    /// namespace unless it names the namespace label itself (Cilium's rule for namespaced policies).
    /// </summary>
    public static EndpointSelector From(LabelSelector selector, string? @namespace, string keyPrefix = "")
    {
        var requirements = ImmutableArray.CreateBuilder<LabelRequirement>();
        foreach (var (key, value) in selector.MatchLabels)
        {
            var (source, name) = Label.SplitKey(keyPrefix + key.Text);
            requirements.Add(new LabelRequirement(source, name, SelectorOperator.In, [value.Text]));
        }

        foreach (var expression in selector.MatchExpressions)
        {
            var (source, name) = Label.SplitKey(keyPrefix + (expression.Key?.Text ?? ""));
            var op = expression.Operator?.Text switch
            {
                SelectorOperators.In => SelectorOperator.In,
                SelectorOperators.NotIn => SelectorOperator.NotIn,
                SelectorOperators.Exists => SelectorOperator.Exists,
                SelectorOperators.DoesNotExist => SelectorOperator.DoesNotExist,

                // Validation rejects anything else; the engine only compiles validated policies.
                _ => throw new InvalidOperationException($"unsupported selector operator {expression.Operator?.Text}"),
            };
            requirements.Add(new LabelRequirement(source, name, op, [.. expression.Values.Select(v => v.Text)]));
        }

        // Reserved identities belong to no namespace, so a selector naming a reserved label is not
        // limited to one (otherwise it could never match).
        if (@namespace is not null && !requirements.Any(r => r.Key == Label.NamespaceKey || r.Source == Label.SourceReserved))
        {
            requirements.Add(new LabelRequirement(Label.SourceKubernetes, Label.NamespaceKey, SelectorOperator.In, [@namespace]));
        }

        return new EndpointSelector(requirements.ToImmutable());
    }

    /// <summary>Both selectors must hold (a NetworkPolicy peer with pod and namespace selectors).</summary>
    public EndpointSelector And(EndpointSelector other) => new([.. Requirements, .. other.Requirements]);

    public override string ToString() => Requirements.IsEmpty ? "{}" : "{" + string.Join(", ", Requirements) + "}";
}
