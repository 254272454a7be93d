namespace Membrane.Policy.Engine.Selection;

public enum SelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}
