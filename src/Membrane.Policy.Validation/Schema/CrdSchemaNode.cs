using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Membrane.Policy.Validation.Schema;

/// <summary>
/// One node of a CRD's structural OpenAPI v3 schema, as the API server applies it: the type, the
/// fields, and the value validations Cilium's CRDs use. Built once from the CRD
/// (<see cref="CrdSchemaLoader"/>), then shared read-only by every validation.
/// </summary>
internal sealed class CrdSchemaNode
{
    public SchemaType Type { get; init; }

    /// <summary><c>x-kubernetes-int-or-string</c>: an integer or a string.</summary>
    public bool IntOrString { get; init; }

    public bool Nullable { get; init; }

    /// <summary>Fields not named are refused (strict field validation) unless this is set.</summary>
    public bool PreserveUnknownFields { get; init; }

    /// <summary>
    /// A node of the structure (not a branch of anyOf or oneOf, which only validates values): an
    /// object here with properties refuses the fields it does not name, as <c>kubectl apply</c>'s
    /// default strict field validation does.
    /// </summary>
    public bool Structural { get; init; }

    public FrozenDictionary<string, CrdSchemaNode>? Properties { get; init; }

    /// <summary>The schema of every value of a map (<c>matchLabels</c>).</summary>
    public CrdSchemaNode? AdditionalProperties { get; init; }

    public CrdSchemaNode? Items { get; init; }

    public IReadOnlyList<string> Required { get; init; } = [];

    public IReadOnlyList<string>? Enum { get; init; }

    public Lazy<Regex>? Pattern { get; init; }

    /// <summary>The pattern as the CRD writes it, to recognise it; never shown to a user.</summary>
    public string? PatternText { get; init; }

    public string? Format { get; init; }

    public long? MinLength { get; init; }

    public long? MaxLength { get; init; }

    public long? MinItems { get; init; }

    public long? MaxItems { get; init; }

    public decimal? Minimum { get; init; }

    public decimal? Maximum { get; init; }

    /// <summary><c>x-kubernetes-list-type: set</c>: the items must be unique.</summary>
    public bool UniqueItems { get; init; }

    public IReadOnlyList<CrdSchemaNode>? OneOf { get; init; }

    public IReadOnlyList<CrdSchemaNode>? AnyOf { get; init; }
}
