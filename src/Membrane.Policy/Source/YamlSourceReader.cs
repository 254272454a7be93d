using System.Collections.Immutable;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Membrane.Policy.Source;

/// <summary>
/// Reads a YAML stream (one or many documents) into <see cref="SourceNode"/> trees with positions.
/// It works on YamlDotNet's event parser rather than its representation model so that it keeps
/// duplicate keys (which it reports), types plain scalars itself, and bounds what aliases, nesting
/// and malformed text can cost (<see cref="SourceLimits"/>). Its scanner is wrapped in a
/// <see cref="DirectiveScanner"/>, so that each document may have its own %YAML directive.
/// </summary>
public static partial class YamlSourceReader
{
    public static SourceReadResult Read(string file, string text, SourceLimits? limits = null) => Read(file, text, limits, 1);

    /// <summary>
    /// Reads a part of a stream (<see cref="YamlStreamSplitter"/>) whose first line is <paramref name="firstLine"/> of the file.
    /// The text goes to <see cref="FastYamlReader"/> first, which reads the subset of YAML that
    /// policies are written in; anything outside it, and every error, is read again here through
    /// YamlDotNet, so the result is always the one YamlDotNet's reading gives.
    /// </summary>
    public static SourceReadResult Read(string file, string text, SourceLimits? limits, int firstLine)
    {
        var bounds = limits ?? SourceLimits.Default;
        return FastYamlReader.TryRead(file, text, bounds, firstLine - 1) ?? ReadWithYamlDotNet(file, text, bounds, firstLine);
    }

    /// <summary>The reference reading, through YamlDotNet's event parser: the fallback, and what tests hold the fast reader to.</summary>
    internal static SourceReadResult ReadWithYamlDotNet(string file, string text, SourceLimits? limits = null, int firstLine = 1) =>
        new Reader(file, limits ?? SourceLimits.Default, firstLine - 1).Read(text);

    /// <summary>
    /// Types a plain scalar as Kubernetes will see it. kubectl and the API server read YAML with
    /// go-yaml, which keeps YAML 1.1's booleans (yes, no, on, off, y, n), so `app: on` reaches the
    /// API server as the boolean true, not the text "on". Numbers and nulls follow the YAML 1.2 core
    /// schema; where 1.1 reads a number differently (a leading 0 is octal there), validation refuses
    /// the number in a text field rather than guess.
    /// </summary>
    internal static ScalarKind KindOf(Scalar scalar)
    {
        if (scalar.Style is not ScalarStyle.Plain || (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value == "tag:yaml.org,2002:str"))
        {
            return ScalarKind.String;
        }

        return PlainKindOf(scalar.Value);
    }

    /// <summary>The type of an untagged plain scalar's text (<see cref="KindOf(Scalar)"/>).</summary>
    internal static ScalarKind PlainKindOf(string text)
    {
        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return ScalarKind.Null;
        }

        if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE"
            or "y" or "Y" or "yes" or "Yes" or "YES" or "n" or "N" or "no" or "No" or "NO"
            or "on" or "On" or "ON" or "off" or "Off" or "OFF")
        {
            return ScalarKind.Boolean;
        }

        return text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] is '-' or '+' or '.') && NumberPattern().IsMatch(text)
            ? ScalarKind.Number
            : ScalarKind.String;
    }

    /// <summary>
    /// What an error at a byte order mark that starts a line means: one that does not begin a document
    /// (<see cref="ByteOrderMarks"/>), which YamlDotNet read as the start of a plain scalar where
    /// none may stand. YAML allows no mark there (§5.2, example 5.2), and YamlDotNet's words name the
    /// scalar, not the mark, which most editors do not show.
    /// </summary>
    private const string MisplacedMark =
        "a byte order mark (U+FEFF) at the start of a line inside a document or among its directives; one may stand only before a document, " +
        "ahead of its directives: at the start of the stream, after a \"...\" line, or right before a \"---\" line (YAML 1.2 §5.2, §9.2)";

    private static string Clean(string message)
    {
        // YamlDotNet prefixes messages with "(Line: x, Col: y, Idx: z) - (Line: ...): "; the
        // position is reported separately, so keep only the sentence.
        var index = message.LastIndexOf("): ", StringComparison.Ordinal);
        return index >= 0 ? message[(index + 3)..] : message;
    }

    // \z, not $, which also matches before a final "\n": YAML's core schema resolves the whole text, so "1\n" is no number.
    [GeneratedRegex(@"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\z")]
    private static partial Regex NumberPattern();

    private sealed class Reader(string file, SourceLimits limits, int lineOffset)
    {
        private readonly SourceFindings _findings = new();
        private readonly SourcePath _path = new();
        private readonly Dictionary<string, (SourceNode Node, long Size)> _anchors = new(StringComparer.Ordinal);
        private SourcePosition _last = new(file, 1 + lineOffset, 1);
        private long _written;
        private long _aliased;

        public SourceReadResult Read(string text)
        {
            // YamlDotNet reads every byte order mark as text; those that begin a document are not (§5.2).
            text = ByteOrderMarks.WithoutDocumentMarks(text, out var misplacedMark);
            var documents = ImmutableArray.CreateBuilder<SourceDocument>();
            var streamFindings = new SourceFindings();
            if (SourceText.FirstNul(text) is var nul and >= 0)
            {
                var at = SourceText.PositionOf(file, text, nul);
                streamFindings.Syntax(at with { Line = at.Line + lineOffset }, "YAML syntax error: a NUL character; YAML text cannot contain one", code: "MBR1055");
                return new SourceReadResult([], streamFindings.ToImmutable());
            }

            var parser = new Parser(new DirectiveScanner(new Scanner(new StringReader(text)), file, lineOffset));
            try
            {
                parser.Consume<StreamStart>();
                while (parser.TryConsume<DocumentStart>(out _))
                {
                    // Anchors and the alias budget belong to one document (YAML 1.2 §3.2.2.2).
                    _anchors.Clear();
                    _written = 0;
                    _aliased = 0;
                    var root = ReadNode(parser, depth: 0, out _);
                    parser.Require<DocumentEnd>();

                    // An empty document (a lone "---", or a file of comments) holds nothing to read.
                    var findings = _findings.Take();
                    if (root is not SourceScalar { IsNull: true, Text: "" })
                    {
                        documents.Add(new SourceDocument(root, findings));
                    }

                    // Kept before moving on: moving past the end parses what follows it, up to the next
                    // document's start, and an error there (a misplaced directive) must not lose this one.
                    parser.MoveNext();
                }

                parser.Consume<StreamEnd>();
            }
            catch (Exception e) when (e is not OutOfMemoryException && MisplacedMarkAt(e, text, misplacedMark) is { } at)
            {
                streamFindings.Syntax(at, $"YAML syntax error: {MisplacedMark}", code: "MBR1061");
            }
            catch (SourceSyntaxException e)
            {
                streamFindings.Syntax(e.Position, e.Message, code: "MBR1056");
            }
            catch (YamlException e)
            {
                var position = e.Start.Line > 0 ? new SourcePosition(file, (int)e.Start.Line + lineOffset, (int)e.Start.Column) : _last;
                var detail = e.Message.Contains("invalid Unicode surrogates", StringComparison.Ordinal)
                    ? "an invalid Unicode escape (a lone surrogate) in this value"
                    : Clean(e.Message);
                streamFindings.Syntax(position, $"YAML syntax error: {detail}", code: "MBR1057");
            }
            catch (ArgumentOutOfRangeException e) when (e.ParamName is "highSurrogate" or "lowSurrogate")
            {
                // YamlDotNet combines a \uXXXX escape pair without checking its order.
                streamFindings.Syntax(_last, "YAML syntax error: an invalid Unicode escape (a surrogate pair in the wrong order) after this point", code: "MBR1058");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The scanner throws other exceptions on some malformed input; the file is still
                // just malformed, so report it as such, at the last node the parser began.
                streamFindings.Syntax(_last, "YAML syntax error: the file is not well-formed YAML after this point", code: "MBR1059");
            }

            // Keys repeated in a document that a syntax error cut short are still reported.
            return new SourceReadResult(documents.ToImmutable(), [.. streamFindings.ToImmutable(), .. _findings.Take()]);
        }

        /// <summary>
        /// Where the error <paramref name="e"/> is a byte order mark's that does not begin a document
        /// (<see cref="ByteOrderMarks"/>), the mark's position; null otherwise. YamlDotNet reads such a
        /// mark as the start of a plain scalar, and stops where that scalar cannot stand, at the mark;
        /// one among a document's directives (<paramref name="misplacedLine"/>) leaves the text
        /// ill-formed from there on, wherever YamlDotNet notices.
        /// </summary>
        private SourcePosition? MisplacedMarkAt(Exception e, string text, int misplacedLine)
        {
            if (e is MisplacedMarkException misplaced)
            {
                return misplaced.Position;
            }

            var line = e switch
            {
                YamlException y when y.Start.Line > 0 => (int)y.Start.Line,
                SourceSyntaxException s => s.Position.Line - lineOffset,
                _ => _last.Line - lineOffset,
            };
            if (misplacedLine > 0 && line >= misplacedLine)
            {
                return new SourcePosition(file, misplacedLine + lineOffset, 1);
            }

            return e is YamlException { Start.Column: 1 } && ByteOrderMarks.StartsLine(text, line) ? new SourcePosition(file, line + lineOffset, 1) : null;
        }

        private SourceNode ReadNode(IParser parser, int depth, out long size)
        {
            var start = parser.Current ?? throw new SourceSyntaxException(_last, "YAML syntax error: the document ends inside a node");
            var position = new SourcePosition(file, (int)start.Start.Line + lineOffset, (int)start.Start.Column);
            _last = position;
            if (depth > limits.MaxDepth)
            {
                throw new SourceSyntaxException(position, $"the document nests deeper than {limits.MaxDepth} levels; no policy needs that many");
            }

            _written++;
            SourceNode node;
            string? anchor;
            switch (start)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        throw new SourceSyntaxException(position, $"YAML syntax error: the alias *{alias.Value} refers to no anchor defined before it");
                    }

                    // Aliases share the anchored node, so they cost no memory here, but everything
                    // downstream walks the node once per use: count what each use expands to.
                    _aliased += target.Size;
                    var budget = limits.AliasBudget(_written);
                    if (_aliased > budget)
                    {
                        throw new SourceSyntaxException(position,
                            $"the alias *{alias.Value} takes the nodes that aliases expand to past the limit of {budget:N0} for this document; " +
                            "a guard against alias bombs (\"billion laughs\"): write the repeated parts out, or use fewer nested aliases");
                    }

                    size = target.Size;
                    return target.Node;

                case Scalar scalar:
                    // YAML allows a mark at the start of a line only where a document begins (§5.2); a
                    // plain scalar never holds one (ns-char excludes it), and YamlDotNet would read it as
                    // the first character of this one, a key that looks like another ("\uFEFFspec").
                    if (scalar.Style == ScalarStyle.Plain && scalar.Start.Column == 1 && scalar.Value.StartsWith(ByteOrderMarks.Mark))
                    {
                        throw new MisplacedMarkException(position);
                    }

                    parser.MoveNext();
                    anchor = AnchorOf(scalar.Anchor);
                    if (SourceText.InvalidSurrogate(scalar.Value) >= 0)
                    {
                        throw new SourceSyntaxException(position, "YAML syntax error: an invalid Unicode escape (a lone surrogate) in this value");
                    }

                    node = new SourceScalar(position, scalar.Value, KindOf(scalar));
                    size = 1;
                    break;

                case SequenceStart sequenceStart:
                    parser.MoveNext();
                    anchor = AnchorOf(sequenceStart.Anchor);
                    var items = new List<SourceNode>();
                    size = 1;
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        _path.PushIndex(items.Count);
                        items.Add(ReadNode(parser, depth + 1, out var itemSize));
                        _path.Pop();
                        size += itemSize;
                    }

                    node = new SourceSequence(position, items);
                    break;

                case MappingStart mappingStart:
                    parser.MoveNext();
                    anchor = AnchorOf(mappingStart.Anchor);
                    var entries = new List<SourceEntry>();
                    size = 1;
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        var key = ReadNode(parser, depth + 1, out var keySize);
                        if (key is not SourceScalar scalarKey)
                        {
                            throw new SourceSyntaxException(key.Position, "a mapping key must be a plain value, not a list or an object");
                        }

                        _path.PushKey(scalarKey.Text);
                        var value = ReadNode(parser, depth + 1, out var valueSize);
                        _path.Pop();
                        size += keySize + valueSize;
                        entries.Add(new SourceEntry(scalarKey, value));
                    }

                    _findings.CheckDuplicateKeys(_path, entries);
                    node = new SourceMapping(position, entries);
                    break;

                default:
                    throw new SourceSyntaxException(position, $"YAML syntax error: unexpected {start.GetType().Name}");
            }

            if (anchor is not null)
            {
                _anchors[anchor] = (node, size);
            }

            return node;
        }

        private static string? AnchorOf(AnchorName name) => name.IsEmpty ? null : name.Value;
    }

    /// <summary>A byte order mark at the start of a line inside a document, where a plain scalar begins with it.</summary>
    private sealed class MisplacedMarkException(SourcePosition position) : Exception
    {
        public SourcePosition Position { get; } = position;
    }
}
