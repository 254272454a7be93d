namespace Membrane.Policy.Source;

public sealed class SourceSequence(SourcePosition position, IReadOnlyList<SourceNode> items) : SourceNode(position)
{
    public IReadOnlyList<SourceNode> Items { get; } = items;

    public override string ShapeName => "a list";
}
