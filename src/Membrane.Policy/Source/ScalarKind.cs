namespace Membrane.Policy.Source;

/// <summary>
/// What a scalar was written as. YAML's plain scalars are typed by their text (the YAML 1.2 core
/// schema); quoted scalars are always strings. JSON scalars carry their token type.
/// </summary>
public enum ScalarKind
{
    String,
    Number,
    Boolean,
    Null,
}
