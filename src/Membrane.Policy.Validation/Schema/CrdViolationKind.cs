namespace Membrane.Policy.Validation.Schema;

/// <summary>Which schema rule a value breaks, as the API server would name it.</summary>
internal enum CrdViolationKind
{
    Type,
    Required,
    UnknownField,
    Enum,
    Pattern,
    Format,
    Length,
    Items,
    Range,
    Duplicate,
    OneOf,
    AnyOf,
}
