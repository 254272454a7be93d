namespace Membrane.Policy.Source;

/// <summary>
/// A node of a parsed YAML or JSON document, with its position. Both readers produce this one
/// tree so that the binder, which turns it into policy records, does not care which format it was.
/// </summary>
public abstract class SourceNode(SourcePosition position)
{
    public SourcePosition Position { get; } = position;

    /// <summary>A short name of the node's shape, for "expected X, found Y" messages.</summary>
    public abstract string ShapeName { get; }
}
