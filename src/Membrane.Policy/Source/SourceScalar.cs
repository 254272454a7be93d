namespace Membrane.Policy.Source;

public sealed class SourceScalar(SourcePosition position, string text, ScalarKind kind) : SourceNode(position)
{
    public string Text { get; } = text;

    public ScalarKind Kind { get; } = kind;

    public bool IsNull => Kind == ScalarKind.Null;

    public override string ShapeName => Kind switch
    {
        ScalarKind.Null => "null",
        ScalarKind.Number => "a number",
        ScalarKind.Boolean => "a boolean",
        _ => "a string",
    };
}
