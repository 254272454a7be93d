using System.Collections.Immutable;
using Membrane.Policy.Engine.Rules;

namespace Membrane.Policy.Engine.MapState;

/// <summary>A map state value: allow or deny, and the rules that produced it.</summary>
public sealed record PolicyEntry(Verdict Verdict, ImmutableArray<RuleOrigin> Origins)
{
    public bool Equals(PolicyEntry? other) => other is not null && Verdict == other.Verdict && Origins.SequenceEqual(other.Origins);

    public override int GetHashCode() => HashCode.Combine(Verdict, Origins.Length);
}
