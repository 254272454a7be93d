using Membrane.Policy.Engine.Rules;

namespace Membrane.Policy.Engine.MapState;

/// <summary>
/// A verdict with its reason: the map state entry that decided it, or, when none matched, the
/// direction's default (allow until a rule selects the endpoint for that direction, deny after).
/// </summary>
public sealed record PolicyDecision(Verdict Verdict, PolicyKey? Key, PolicyEntry? Entry, IReadOnlyList<RuleOrigin> DefaultDenyOrigins)
{
    public bool IsAllowed => Verdict == Verdict.Allow;

    public string Reason => Entry is not null
        ? $"{(Verdict == Verdict.Allow ? "allowed" : "denied")} by {string.Join("; ", Entry.Origins)}"
        : DefaultDenyOrigins.Count > 0
            ? $"denied by default: no rule allows it, and {string.Join("; ", DefaultDenyOrigins)} selects this endpoint"
            : "allowed by default: no policy selects this endpoint in this direction";
}
