using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Membrane.Policy.Source;

/// <summary>
/// Reads a YAML stream (one or many documents) into <see cref="SourceNode"/> trees with positions.
/// It works on YamlDotNet's event parser rather than its representation model so that it keeps
/// duplicate keys (which the binder reports) and types plain scalars itself.
/// </summary>
public static partial class YamlSourceReader
{
    public static IReadOnlyList<SourceNode> Read(string file, string text)
    {
        var parser = new Parser(new StringReader(text));
        var documents = new List<SourceNode>();
        var last = new SourcePosition(file, 1, 1);
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var anchors = new Dictionary<string, SourceNode>(StringComparer.Ordinal);
                var root = ReadNode(parser, file, anchors, ref last);
                parser.Consume<DocumentEnd>();

                // An empty document (a lone "---", or a file of comments) holds nothing to read.
                if (root is SourceScalar { IsNull: true, Text: "" })
                {
                    continue;
                }

                documents.Add(root);
            }

            parser.Consume<StreamEnd>();
        }
        catch (YamlException e)
        {
            var position = new SourcePosition(file, (int)e.Start.Line, (int)e.Start.Column);
            throw new SourceSyntaxException(position, $"YAML syntax error: {Clean(e.Message)}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this (not a YamlException) on some malformed input; the
            // file is still just malformed, so report it as such, at the last node the parser began.
            throw new SourceSyntaxException(last, "YAML syntax error: the file is not well-formed YAML after this point", e);
        }

        return documents;
    }

    private static SourceNode ReadNode(IParser parser, string file, Dictionary<string, SourceNode> anchors, ref SourcePosition last)
    {
        var start = parser.Current ?? throw new InvalidOperationException("YAML parser ended inside a node");
        var position = new SourcePosition(file, (int)start.Start.Line, (int)start.Start.Column);
        last = position;
        SourceNode node;
        string? anchor = null;
        switch (start)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new SourceSyntaxException(position, $"YAML alias *{alias.Value} refers to no anchor defined before it");
                }

                return target;

            case Scalar scalar:
                parser.MoveNext();
                anchor = AnchorOf(scalar.Anchor);
                node = new SourceScalar(position, scalar.Value, KindOf(scalar));
                break;

            case SequenceStart sequenceStart:
                parser.MoveNext();
                anchor = AnchorOf(sequenceStart.Anchor);
                var items = new List<SourceNode>();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    items.Add(ReadNode(parser, file, anchors, ref last));
                }

                node = new SourceSequence(position, items);
                break;

            case MappingStart mappingStart:
                parser.MoveNext();
                anchor = AnchorOf(mappingStart.Anchor);
                var entries = new List<SourceEntry>();
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var key = ReadNode(parser, file, anchors, ref last);
                    var value = ReadNode(parser, file, anchors, ref last);
                    if (key is not SourceScalar scalarKey)
                    {
                        throw new SourceSyntaxException(key.Position, "a mapping key must be a plain value, not a list or an object");
                    }

                    entries.Add(new SourceEntry(scalarKey, value));
                }

                node = new SourceMapping(position, entries);
                break;

            default:
                throw new SourceSyntaxException(position, $"unexpected YAML event {start.GetType().Name}");
        }

        if (anchor is not null)
        {
            anchors[anchor] = node;
        }

        return node;
    }

    private static string? AnchorOf(AnchorName name) => name.IsEmpty ? null : name.Value;

    /// <summary>Types a scalar by the YAML 1.2 core schema; anything quoted is a string.</summary>
    private static ScalarKind KindOf(Scalar scalar)
    {
        if (scalar.Style is not ScalarStyle.Plain || (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value == "tag:yaml.org,2002:str"))
        {
            return ScalarKind.String;
        }

        var text = scalar.Value;
        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return ScalarKind.Null;
        }

        if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return ScalarKind.Boolean;
        }

        return NumberPattern().IsMatch(text) ? ScalarKind.Number : ScalarKind.String;
    }

    private static string Clean(string message)
    {
        // YamlDotNet prefixes messages with "(Line: x, Col: y, Idx: z) - (Line: ...): "; the
        // position is reported separately, so keep only the sentence.
        var index = message.LastIndexOf("): ", StringComparison.Ordinal);
        return index >= 0 ? message[(index + 3)..] : message;
    }

    [GeneratedRegex(@"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")]
    private static partial Regex NumberPattern();
}
