namespace Membrane.Policy.Source;

/// <summary>A file that is not well-formed YAML or JSON.</summary>
public sealed class SourceSyntaxException(SourcePosition position, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public SourcePosition Position { get; } = position;
}
