namespace Membrane.Policy.Validation.Schema;

/// <summary>The OpenAPI types a schema node may name; <see cref="Any"/> when it names none.</summary>
internal enum SchemaType
{
    Any,
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
}
