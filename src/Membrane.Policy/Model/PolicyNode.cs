using Membrane.Policy.Source;

namespace Membrane.Policy.Model;

/// <summary>
/// The base of every record of the policy model: what the user wrote, with where they wrote it.
/// </summary>
public abstract record PolicyNode
{
    public SourcePosition Position { get; init; } = SourcePosition.None;

    // A position is where a node was written, not what it says: two policies that say the same
    // thing are equal wherever they stand. The printer/reader round trip depends on this.
    public virtual bool Equals(PolicyNode? other) => other is not null && EqualityContract == other.EqualityContract;

    public override int GetHashCode() => EqualityContract.GetHashCode();
}
