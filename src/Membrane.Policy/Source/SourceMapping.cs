namespace Membrane.Policy.Source;

/// <summary>
/// A mapping whose entries keep the order they were written in, duplicates included: the binder
/// reports a duplicate key instead of silently keeping the last one, as a plain dictionary would.
/// </summary>
public sealed class SourceMapping(SourcePosition position, IReadOnlyList<SourceEntry> entries) : SourceNode(position)
{
    public IReadOnlyList<SourceEntry> Entries { get; } = entries;

    public override string ShapeName => "an object";

    public SourceNode? this[string key]
    {
        get
        {
            foreach (var entry in Entries)
            {
                if (entry.Key.Text == key)
                {
                    return entry.Value;
                }
            }

            return null;
        }
    }
}
