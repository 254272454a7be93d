using System.Collections.Frozen;
using System.Globalization;
using System.Text;
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
    /// Compiles a Go RE2 pattern for .NET (<see cref="ToDotNet"/>), on first use and once per
    /// distinct pattern (the CRDs repeat a handful of patterns dozens of times). RE2 matches in linear time; .NET's backtracking
    /// engine takes exponential time on a pattern with nested repetition such as
    /// <c>^([-a-zA-Z0-9_]+[.]?)+$</c> and a hostile value, so such patterns get the non-backtracking
    /// engine. It costs milliseconds to build, which the others, cheap to build and at worst
    /// quadratic, do not pay; the validator bounds the length of what they match
    /// (<see cref="CrdSchemaValidator"/>). No timeout: a verdict that depends on how busy the
    /// machine is would make the same file pass one run and fail the next.
    /// </summary>
    internal static Lazy<Regex> Compile(string pattern) => Patterns.GetOrAdd(pattern, text => new Lazy<Regex>(() =>
    {
        var dotnet = ToDotNet(text);
        return NestedRepetition().IsMatch(dotnet)
            ? new Regex(dotnet, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)
            : new Regex(dotnet, RegexOptions.CultureInvariant);
    }));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Regex>> Patterns = new(StringComparer.Ordinal);

    /// <summary>
    /// A Go RE2 pattern written so that .NET reads it the same. RE2 writes one-letter Unicode
    /// classes without braces (<c>\PC</c>); .NET needs <c>\P{C}</c>. RE2's <c>$</c> matches only at
    /// the end of the text ("like \z not \Z", Go's regexp/syntax); .NET's also matches before a
    /// final "\n", which would let a label value "web\n" pass the pattern the API server refuses it
    /// by. So <c>$</c> becomes <c>\z</c>, except in a class, where it is itself, and under the m
    /// flag, where both engines take it as "before any \n or at the end".
    /// </summary>
    internal static string ToDotNet(string re2)
    {
        var pattern = Regex.Replace(re2, @"\\([pP])([A-Za-z])(?![A-Za-z{])", @"\$1{$2}");
        var dotnet = new StringBuilder(pattern.Length + 4);
        var multiLine = false;
        var enclosing = new Stack<bool>(); // the m flag outside each open group, back in force at its ')'
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                dotnet.Append(c).Append(pattern[++i]);
                continue;
            }

            if (c == '[')
            {
                // A class ends at the first ']' that is not its first member ("[]$]", "[^]$]").
                var end = i + 1;
                end += end < pattern.Length && pattern[end] == '^' ? 1 : 0;
                end += end < pattern.Length && pattern[end] == ']' ? 1 : 0;
                while (end < pattern.Length && pattern[end] != ']')
                {
                    end += pattern[end] == '\\' ? 2 : 1;
                }

                end = Math.Min(end, pattern.Length - 1);
                dotnet.Append(pattern, i, end - i + 1);
                i = end;
                continue;
            }

            if (c == '$' && !multiLine)
            {
                dotnet.Append(@"\z");
                continue;
            }

            if (c == '(')
            {
                // (?flags) sets flags for the rest of the enclosing group, (?flags:re) for re only.
                var j = i + 1;
                bool? m = null;
                if (j < pattern.Length && pattern[j] == '?')
                {
                    var on = true;
                    for (j++; j < pattern.Length && pattern[j] is 'i' or 'm' or 's' or 'U' or '-'; j++)
                    {
                        on &= pattern[j] != '-';
                        m = pattern[j] == 'm' ? on : m;
                    }
                }

                if (j < pattern.Length && pattern[j] == ')')
                {
                    multiLine = m ?? multiLine;
                    dotnet.Append(pattern, i, j - i + 1);
                    i = j;
                    continue;
                }

                enclosing.Push(multiLine);
                multiLine = j < pattern.Length && pattern[j] == ':' ? m ?? multiLine : multiLine;
            }
            else if (c == ')' && enclosing.Count > 0)
            {
                multiLine = enclosing.Pop();
            }

            dotnet.Append(c);
        }

        return dotnet.ToString();
    }

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
