using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;
using Membrane.Policy.Source;

namespace Membrane.Policy.Validation.Schema;

/// <summary>
/// Builds <see cref="CrdSchemaNode"/>s from a CustomResourceDefinition's
/// <c>spec.versions[name].schema.openAPIV3Schema</c>, read with Membrane's own YAML reader.
/// </summary>
internal static partial class CrdSchemaLoader
{
    /// <summary>The schema of <paramref name="version"/> in a CRD file's text, with the kind the CRD defines.</summary>
    public static (string Kind, CrdSchemaNode Schema) Load(string file, string text, string version)
    {
        // The CRD nests schemas deeper than any policy; it is Membrane's own file, not input.
        var read = YamlSourceReader.Read(file, text, new SourceLimits { MaxDepth = 512, MinAliasBudget = 0 });
        if (read.HasErrors || read.Documents.IsEmpty)
        {
            throw new InvalidDataException($"{file}: not a readable CRD: {string.Join("; ", read.Findings.Select(f => f.ToString()))}");
        }

        var crd = Mapping(read.Documents[0].Root, file, "the CRD");
        var spec = Mapping(crd["spec"], file, "spec");
        var kind = Text(Mapping(spec["names"], file, "spec.names")["kind"]) ?? throw new InvalidDataException($"{file}: spec.names.kind is missing");
        var versions = spec["versions"] as SourceSequence ?? throw new InvalidDataException($"{file}: spec.versions is missing");
        var entry = versions.Items.OfType<SourceMapping>().FirstOrDefault(v => Text(v["name"]) == version)
            ?? throw new InvalidDataException($"{file}: the CRD has no version {version}");
        var schema = Mapping(Mapping(entry["schema"], file, "schema")["openAPIV3Schema"], file, "openAPIV3Schema");
        return (kind, Build(schema, structural: true));
    }

    private static CrdSchemaNode Build(SourceMapping node, bool structural)
    {
        var properties = node["properties"] is SourceMapping props
            ? props.Entries.ToFrozenDictionary(e => e.Key.Text, e => Build((SourceMapping)e.Value, structural), StringComparer.Ordinal)
            : null;
        var pattern = Text(node["pattern"]);
        return new CrdSchemaNode
        {
            Type = Text(node["type"]) switch
            {
                "string" => SchemaType.String,
                "integer" => SchemaType.Integer,
                "number" => SchemaType.Number,
                "boolean" => SchemaType.Boolean,
                "object" => SchemaType.Object,
                "array" => SchemaType.Array,
                _ => SchemaType.Any,
            },
            IntOrString = Flag(node, "x-kubernetes-int-or-string"),
            Nullable = Flag(node, "nullable"),
            PreserveUnknownFields = Flag(node, "x-kubernetes-preserve-unknown-fields"),
            Structural = structural,
            Properties = properties,
            AdditionalProperties = node["additionalProperties"] is SourceMapping additional ? Build(additional, structural) : null,
            Items = node["items"] is SourceMapping items ? Build(items, structural) : null,
            Required = node["required"] is SourceSequence required ? [.. required.Items.Select(Text).OfType<string>()] : [],
            Enum = node["enum"] is SourceSequence values ? [.. values.Items.Select(Text).OfType<string>()] : null,
            Pattern = pattern is null ? null : Compile(pattern),
            PatternText = pattern,
            Format = Text(node["format"]),
            MinLength = Number(node["minLength"]),
            MaxLength = Number(node["maxLength"]),
            MinItems = Number(node["minItems"]),
            MaxItems = Number(node["maxItems"]),
            Minimum = Number(node["minimum"]),
            Maximum = Number(node["maximum"]),
            UniqueItems = Text(node["x-kubernetes-list-type"]) == "set",

            // Branches of oneOf and anyOf validate values; they add no structure.
            OneOf = node["oneOf"] is SourceSequence oneOf ? [.. oneOf.Items.OfType<SourceMapping>().Select(b => Build(b, structural: false))] : null,
            AnyOf = node["anyOf"] is SourceSequence anyOf ? [.. anyOf.Items.OfType<SourceMapping>().Select(b => Build(b, structural: false))] : null,
        };
    }

    /// <summary>
    /// Compiles a Go RE2 pattern for .NET, on first use and once per distinct pattern (the CRDs
    /// repeat a handful of patterns dozens of times). RE2 writes one-letter Unicode classes without
    /// braces (<c>\PC</c>); .NET needs <c>\P{C}</c>. RE2 matches in linear time; .NET's backtracking
    /// engine takes exponential time on a pattern with nested repetition such as
    /// <c>^([-a-zA-Z0-9_]+[.]?)+$</c> and a hostile value, so such patterns get the non-backtracking
    /// engine. It costs milliseconds to build, which the others, cheap to build and at worst
    /// quadratic, do not pay; the validator bounds the length of what they match
    /// (<see cref="CrdSchemaValidator"/>). No timeout: a verdict that depends on how busy the
    /// machine is would make the same file pass one run and fail the next.
    /// </summary>
    private static Lazy<Regex> Compile(string pattern) => Patterns.GetOrAdd(pattern, text => new Lazy<Regex>(() =>
    {
        var dotnet = Regex.Replace(text, @"\\([pP])([A-Za-z])(?![A-Za-z{])", @"\$1{$2}");
        return NestedRepetition().IsMatch(dotnet)
            ? new Regex(dotnet, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)
            : new Regex(dotnet, RegexOptions.CultureInvariant);
    }));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Regex>> Patterns = new(StringComparer.Ordinal);

    /// <summary>
    /// A repeated group: <c>(...)+</c>, <c>(...)*</c>, <c>(...){n,}</c>. Only a repeated group can
    /// make backtracking exponential; without one it is at worst polynomial in the (bounded) input.
    /// </summary>
    [GeneratedRegex(@"\)[+*{]")]
    private static partial Regex NestedRepetition();

    private static SourceMapping Mapping(SourceNode? node, string file, string what) =>
        node as SourceMapping ?? throw new InvalidDataException($"{file}: {what} is not an object");

    private static string? Text(SourceNode? node) => node is SourceScalar { IsNull: false } scalar ? scalar.Text : null;

    private static bool Flag(SourceMapping node, string key) => node[key] is SourceScalar { Kind: ScalarKind.Boolean } flag && flag.Text is "true" or "True";

    private static long? Number(SourceNode? node) =>
        node is SourceScalar scalar && long.TryParse(scalar.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
}
