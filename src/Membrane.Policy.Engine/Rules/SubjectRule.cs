using System.Collections.Immutable;
using Membrane.Policy.Engine.Selection;

namespace Membrane.Policy.Engine.Rules;

/// <summary>
/// A compiled rule of a policy: the endpoints it applies to, whether it turns each direction to
/// default-deny, and its allow and deny rules.
/// </summary>
public sealed record SubjectRule(EndpointSelector Subject, bool DefaultDenyIngress, bool DefaultDenyEgress, ImmutableArray<CompiledPeerRule> Rules, RuleOrigin Origin);
