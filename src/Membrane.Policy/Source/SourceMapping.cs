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
            // An index loop: a foreach over the interface would allocate an enumerator per lookup.
            var entries = Entries;
            for (var i = 0; i < entries.Count; i++)
            {
                if (entries[i].Key.Text == key)
                {
                    return entries[i].Value;
                }
            }

            return null;
        }
    }
}
