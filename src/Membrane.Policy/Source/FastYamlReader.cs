using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;

namespace Membrane.Policy.Source;

/// <summary>
/// Reads the YAML that policies are written in straight from the string into the same
/// <see cref="SourceNode"/> trees, positions, findings and limits as <see cref="YamlSourceReader"/>'s
/// YamlDotNet path, at a fraction of its cost: no token or event objects, and each scalar's string
/// allocated once. It is not a second YAML parser to trust: it handles a subset (block and flow
/// collections, plain, quoted and block scalars, comments, document markers, %YAML, anchors and
/// aliases) whose reading it reproduces exactly, and it gives up (returns null) on anything else:
/// tags, complex keys, tabs, unusual characters, any construct outside the subset, and every error,
/// so that YamlDotNet reads that input and reports it in its own words. The differential tests hold
/// the two readers to the same result on the corpus and on mutations of it.
/// </summary>
internal sealed partial class FastYamlReader
{
    /// <summary>
    /// Characters the subset leaves to YamlDotNet: tabs (which YAML 1.2 §6.1 forbids in
    /// indentation and YamlDotNet treats by context), carriage returns and the other line breaks
    /// YamlDotNet folds (NEL, LS, PS, §5.4), NUL (reported by the YamlDotNet path), other C0 and C1
    /// controls and non-characters (§5.1), a byte order mark that does not begin a document (§5.2;
    /// those that do are taken off first, <see cref="ByteOrderMarks"/>), and surrogates, whose
    /// pairing the YamlDotNet path checks.
    /// </summary>
    private static readonly SearchValues<char> Unhandled = SearchValues.Create(UnhandledCharacters().ToArray());

    [ThreadStatic]
    private static Dictionary<string, string>? t_strings;

    private readonly string _file;
    private readonly string _text;
    private readonly SourceLimits _limits;
    private readonly int _lineOffset;
    private readonly SourceFindings _findings = new();
    private readonly SourcePath _path = new();
    private readonly Dictionary<string, (SourceNode Node, long Size)> _anchors = new(StringComparer.Ordinal);
    private readonly List<SourceEntry> _entries = [];
    private readonly List<SourceNode> _items = [];
    private readonly StringBuilder _builder = new();
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private long _written;
    private long _aliased;

    private FastYamlReader(string file, string text, SourceLimits limits, int lineOffset)
    {
        _file = file;
        _text = text;
        _limits = limits;
        _lineOffset = lineOffset;
    }

    /// <summary>The reading of <paramref name="text"/>, or null where the subset does not cover it.</summary>
    public static SourceReadResult? TryRead(string file, string text, SourceLimits limits, int lineOffset)
    {
        text = ByteOrderMarks.WithoutDocumentMarks(text);
        if (text.AsSpan().IndexOfAny(Unhandled) >= 0)
        {
            return null;
        }

        try
        {
            return new FastYamlReader(file, text, limits, lineOffset).ReadStream();
        }
        catch (NotHandledException)
        {
            return null;
        }
    }

    /// <summary>The character at an offset from the current one; NUL past the end (the text holds none).</summary>
    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private bool AtEnd => _pos >= _text.Length;

    /// <summary>The column from 0, as YamlDotNet's cursor counts it: one per UTF-16 character.</summary>
    private int Column => _pos - _lineStart;

    private SourcePosition Here => new(_file, _line + _lineOffset, Column + 1);

    private static bool IsBlank(char c) => c is ' ' or '\n' or '\0';

    private bool AtBlockEntry => Peek() == '-' && IsBlank(Peek(1));

    /// <summary>A "---" or "..." line start (YAML 1.2 §9.1.4), which ends any block node.</summary>
    private bool AtMarker(char c) =>
        _pos == _lineStart && Peek() == c && Peek(1) == c && Peek(2) == c && IsBlank(Peek(3));

    private bool AtBoundary => AtEnd || AtMarker('-') || AtMarker('.');

    private static NotHandledException NotHandled() => new();

    private void NextLine()
    {
        _pos++;
        _line++;
        _lineStart = _pos;
    }

    /// <summary>Skips spaces, comments and line breaks to the next token.</summary>
    private void SkipSpace()
    {
        while (true)
        {
            var c = Peek();
            if (c == ' ')
            {
                _pos++;
            }
            else if (c == '\n')
            {
                NextLine();
            }
            else if (c == '#')
            {
                SkipComment();
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>
    /// A comment must be separated from a token by white space (YAML 1.2 §6.6); YamlDotNet's
    /// handling of a "#" right after a token varies by token, so that is left to it.
    /// </summary>
    private void SkipComment()
    {
        if (_pos > _lineStart && _text[_pos - 1] != ' ')
        {
            throw NotHandled();
        }

        var end = _text.IndexOf('\n', _pos);
        _pos = end < 0 ? _text.Length : end;
    }

    /// <summary>Requires nothing but spaces and a comment up to the end of the line.</summary>
    private void RestOfLineBlank()
    {
        while (Peek() == ' ')
        {
            _pos++;
        }

        if (Peek() == '#')
        {
            SkipComment();
        }

        if (!(AtEnd || Peek() == '\n'))
        {
            throw NotHandled();
        }
    }

    private void SkipSpacesOnLine()
    {
        while (Peek() == ' ')
        {
            _pos++;
        }
    }

    private void Count(int depth)
    {
        // As the YamlDotNet path does for every node, key and alias it reads, in the same order.
        if (depth > _limits.MaxDepth)
        {
            throw NotHandled();
        }

        _written++;
    }

    private SourceReadResult ReadStream()
    {
        var documents = ImmutableArray.CreateBuilder<SourceDocument>();
        var started = false;
        var needsStart = false;
        var mayEnd = false;

        // Directives belong to the document after them (YAML 1.2 §6.8) and may stand only at the
        // start of the stream or after a "..." (§9.2, atPrefix), so each document of a stream may
        // have its own. version: the document to come has its %YAML, the only directive read here.
        var atPrefix = true;
        var version = false;
        while (true)
        {
            SkipSpace();
            if (AtEnd)
            {
                // A directive with no document after it is an error (§9.2).
                if (version)
                {
                    throw NotHandled();
                }

                break;
            }

            if (_pos == _lineStart && Peek() == '%')
            {
                // %YAML only, once per document (§6.8.1), where directives may stand; a second one
                // for the same document, a directive after a document not ended with "...", %TAG
                // and the rest are YamlDotNet's, which reports the errors.
                if (!atPrefix || version)
                {
                    throw NotHandled();
                }

                ReadVersionDirective();
                version = true;
                needsStart = true;
                continue;
            }

            if (AtMarker('.'))
            {
                // "..." ends a document (§9.1.4); YamlDotNet's reading of what may follow it varies,
                // so only "---", with the next document's directives before it or not, may.
                if (!mayEnd)
                {
                    throw NotHandled();
                }

                _pos += 3;
                RestOfLineBlank();
                mayEnd = false;
                needsStart = true;
                atPrefix = true;
                continue;
            }

            SourceNode? root;
            _anchors.Clear();
            _written = 0;
            _aliased = 0;
            if (AtMarker('-'))
            {
                _pos += 3;
                RestOfLineBlank();
                SkipSpace();
                root = AtBoundary ? null : ReadRoot();
            }
            else
            {
                // A bare document (no "---") only opens the stream (§9.2).
                if (started || needsStart)
                {
                    throw NotHandled();
                }

                root = ReadRoot();
            }

            started = true;
            needsStart = false;
            mayEnd = true;
            atPrefix = false;
            version = false;
            var findings = _findings.Take();
            if (root is not null)
            {
                documents.Add(new SourceDocument(root, findings));
            }
        }

        return new SourceReadResult(documents.ToImmutable(), []);
    }

    private void ReadVersionDirective()
    {
        // YamlDotNet accepts major version 1 with a minor of at most 3; only the two real versions are read here.
        if (!_text.AsSpan(_pos).StartsWith("%YAML 1.") || Peek(8) is not ('1' or '2') || !IsBlank(Peek(9)))
        {
            throw NotHandled();
        }

        _pos += 9;
        RestOfLineBlank();
    }

    /// <summary>A document's root: a block or flow collection; a lone scalar, anchor or alias there is left to YamlDotNet.</summary>
    private SourceNode ReadRoot()
    {
        if (Peek() is '&' or '*')
        {
            throw NotHandled();
        }

        var root = ReadNodeAt(-1, sameLine: false, compact: true, indentless: false, depth: 0, out _);
        if (root is SourceScalar)
        {
            throw NotHandled();
        }

        SkipSpace();
        if (!AtBoundary)
        {
            throw NotHandled();
        }

        return root;
    }

    /// <summary>
    /// Reads the node after a ':' or '-' indicator on <paramref name="indicatorLine"/>, within a block
    /// collection at column <paramref name="indent"/>. A node that is not there is an empty (null)
    /// scalar, placed where YamlDotNet places it: just after the indicator.
    /// </summary>
    private SourceNode ReadValue(int indent, int indicatorLine, SourcePosition emptyAt, bool compact, bool indentless, int depth, out long size)
    {
        SkipSpace();
        var sameLine = _line == indicatorLine;
        if (AtBoundary || (!sameLine && (Column < indent || (Column == indent && !(indentless && AtBlockEntry)))))
        {
            Count(depth);
            size = 1;
            return new SourceScalar(emptyAt, "", ScalarKind.Null);
        }

        return ReadNodeAt(indent, sameLine, compact, indentless, depth, out size);
    }

    /// <summary>
    /// Reads the block node that starts at the current token. <paramref name="sameLine"/>: it follows
    /// its indicator on one line; <paramref name="compact"/>: a collection may start there ("- a: 1",
    /// "- - a", §8.2.1); <paramref name="indentless"/>: a sequence may stand at the mapping's own column (§8.2.1).
    /// </summary>
    private SourceNode ReadNodeAt(int indent, bool sameLine, bool compact, bool indentless, int depth, out long size)
    {
        var position = Here;
        var column = Column;
        Count(depth);
        switch (Peek())
        {
            case '&':
                return ReadAnchored(indent, sameLine, indentless, depth, out size);

            case '*':
                return ReadAlias(out size);

            case '-' when IsBlank(Peek(1)):
                if (sameLine && !compact)
                {
                    // "key: - a" is an error (§8.2.1); YamlDotNet words it.
                    throw NotHandled();
                }

                return ReadBlockSequence(column, column == indent, position, depth, out size);

            case '[' or '{':
                var flow = ReadFlowCollection(indent, position, depth, out size);
                RestOfLineBlank();
                return flow;

            case '|' or '>':
                if (!sameLine)
                {
                    throw NotHandled();
                }

                size = 1;
                return new SourceScalar(position, ReadBlockScalar(indent), ScalarKind.String);

            case '"' or '\'':
            {
                var text = ReadQuoted(indent, out var multiline);
                SkipSpacesOnLine();
                if (Peek() == ':' && IsBlank(Peek(1)))
                {
                    if (multiline || (sameLine && !compact))
                    {
                        throw NotHandled();
                    }

                    return ReadBlockMapping(column, new SourceScalar(position, text, ScalarKind.String), position, depth, out size);
                }

                RestOfLineBlank();
                size = 1;
                return new SourceScalar(position, text, ScalarKind.String);
            }

            default:
            {
                CheckPlainStart(flow: false);
                var text = ReadPlain(indent, flow: false, out var multiline, out var colon);
                var scalar = new SourceScalar(position, text, YamlSourceReader.PlainKindOf(text));
                if (colon)
                {
                    if (multiline || (sameLine && !compact))
                    {
                        throw NotHandled();
                    }

                    return ReadBlockMapping(column, scalar, position, depth, out size);
                }

                RestOfLineBlank();
                size = 1;
                return scalar;
            }
        }
    }

    /// <summary>
    /// An anchored node (§6.9.2): a scalar or flow collection after the anchor on its line, or a
    /// block collection on the lines below it. The node's position is the anchor's, as in YamlDotNet.
    /// </summary>
    private SourceNode ReadAnchored(int indent, bool sameLine, bool indentless, int depth, out long size)
    {
        if (!sameLine)
        {
            throw NotHandled();
        }

        var position = Here;
        var name = ReadAnchorName();
        SkipSpacesOnLine();
        SourceNode node;
        if (AtEnd || Peek() is '\n' or '#')
        {
            RestOfLineBlank();
            SkipSpace();
            if (AtBoundary || Column < indent || (Column == indent && !(indentless && AtBlockEntry)))
            {
                throw NotHandled();
            }

            if (AtBlockEntry)
            {
                node = ReadBlockSequence(Column, Column == indent, position, depth, out size);
            }
            else if (Peek() is '[' or '{')
            {
                node = ReadFlowCollection(indent, position, depth, out size);
                RestOfLineBlank();
            }
            else
            {
                var column = Column;
                var keyAt = Here;
                var key = ReadKey(indent);
                node = ReadBlockMapping(column, new SourceScalar(keyAt, key.Text, key.Kind), position, depth, out size);
            }
        }
        else if (Peek() is '[' or '{')
        {
            node = ReadFlowCollection(indent, position, depth, out size);
            RestOfLineBlank();
        }
        else if (Peek() is '|' or '>')
        {
            size = 1;
            node = new SourceScalar(position, ReadBlockScalar(indent), ScalarKind.String);
        }
        else
        {
            // "&a key: value" anchors the key, not a mapping; ReadScalarValue leaves it to YamlDotNet.
            var (text, kind) = ReadScalarValue(indent, flow: false);
            RestOfLineBlank();
            size = 1;
            node = new SourceScalar(position, text, kind);
        }

        _anchors[name] = (node, size);
        return node;
    }

    /// <summary>
    /// A quoted or plain scalar that must not be a key: one followed by ':' is an implicit key where
    /// none may start (after an anchor, or in a flow sequence, §7.4.1), which is left to YamlDotNet.
    /// </summary>
    private (string Text, ScalarKind Kind) ReadScalarValue(int indent, bool flow)
    {
        string text;
        ScalarKind kind;
        if (Peek() is '"' or '\'')
        {
            text = ReadQuoted(indent, out _);
            kind = ScalarKind.String;
        }
        else
        {
            text = ReadPlainScalar(indent, flow, out _);

            kind = YamlSourceReader.PlainKindOf(text);
        }

        SkipSpacesOnLine();
        if (Peek() == ':')
        {
            throw NotHandled();
        }

        return (text, kind);
    }

    private SourceNode ReadAlias(out long size)
    {
        var name = ReadAnchorName();
        SkipSpacesOnLine();
        if (Peek() == ':')
        {
            throw NotHandled();
        }

        RestOfLineBlank();
        if (!_anchors.TryGetValue(name, out var target))
        {
            throw NotHandled();
        }

        // The alias budget, counted as the YamlDotNet path counts it; crossing it is that path's error to report.
        _aliased += target.Size;
        if (_aliased > _limits.AliasBudget(_written))
        {
            throw NotHandled();
        }

        size = target.Size;
        return target.Node;
    }

    /// <summary>
    /// An anchor or alias name after its indicator. YAML 1.2 §6.9.2 allows any non-space character
    /// but flow indicators; the subset keeps to letters, digits, '-' and '_', followed by a space or line end.
    /// </summary>
    private string ReadAnchorName()
    {
        var start = ++_pos;
        while (char.IsAsciiLetterOrDigit(Peek()) || Peek() is '-' or '_')
        {
            _pos++;
        }

        if (_pos == start || !IsBlank(Peek()))
        {
            throw NotHandled();
        }

        return Intern(_text.AsSpan(start, _pos - start));
    }

    /// <summary>A block mapping at <paramref name="column"/> whose first key has been read (§8.2.2).</summary>
    private SourceMapping ReadBlockMapping(int column, SourceScalar firstKey, SourcePosition position, int depth, out long size)
    {
        var first = _entries.Count;
        var key = firstKey;
        size = 1;
        while (true)
        {
            Count(depth + 1);
            SkipSpacesOnLine();
            var colonLine = _line;
            var emptyAt = new SourcePosition(_file, _line + _lineOffset, Column + 2);
            _pos++;
            _path.PushKey(key.Text);
            var value = ReadValue(column, colonLine, emptyAt, compact: false, indentless: true, depth + 1, out var valueSize);
            _path.Pop();
            size += 1 + valueSize;
            _entries.Add(new SourceEntry(key, value));
            SkipSpace();
            if (AtBoundary || Column < column)
            {
                break;
            }

            if (Column > column)
            {
                throw NotHandled();
            }

            var keyAt = Here;
            var (text, kind) = ReadKey(column);
            key = new SourceScalar(keyAt, text, kind);
        }

        var entries = CollectionsMarshal.AsSpan(_entries)[first..].ToArray();
        CollectionsMarshal.SetCount(_entries, first);
        _findings.CheckDuplicateKeys(_path, entries);
        return new SourceMapping(position, entries);
    }

    /// <summary>
    /// A simple key (§7.4.2): a one-line plain or quoted scalar followed by ': ', in block or flow
    /// context. Leaves the reader at the ':'.
    /// </summary>
    private (string Text, ScalarKind Kind) ReadKey(int indent, bool flow = false)
    {
        var start = _pos;
        var quoted = Peek() is '"' or '\'';
        bool multiline;
        string text;
        if (quoted)
        {
            text = ReadQuoted(indent, out multiline);
        }
        else
        {
            text = ReadPlainScalar(indent, flow, out multiline);
        }

        SkipSpacesOnLine();
        if (multiline)
        {
            throw NotHandled();
        }

        CheckKeyEnd(start);
        return (text, quoted ? ScalarKind.String : YamlSourceReader.PlainKindOf(text));
    }

    /// <summary>
    /// Requires the ': ' after a key. YamlDotNet drops a simple key whose ':' lies more than 1024
    /// characters after its start (§7.4.2 limits implicit keys to 1024), so long keys are left to it.
    /// </summary>
    private void CheckKeyEnd(int keyStart)
    {
        if (Peek() != ':' || !IsBlank(Peek(1)) || _pos - keyStart > 1000)
        {
            throw NotHandled();
        }
    }

    /// <summary>
    /// A block sequence whose first '-' is at <paramref name="column"/> (§8.2.1). An
    /// <paramref name="indentless"/> one, a mapping value at its key's column, ends where the next key
    /// of that mapping stands; any other ends only at a lesser indentation.
    /// </summary>
    private SourceSequence ReadBlockSequence(int column, bool indentless, SourcePosition position, int depth, out long size)
    {
        var first = _items.Count;
        size = 1;
        while (true)
        {
            var dashLine = _line;
            var emptyAt = new SourcePosition(_file, _line + _lineOffset, Column + 2);
            _pos++;
            _path.PushIndex(_items.Count - first);
            var item = ReadValue(column, dashLine, emptyAt, compact: true, indentless: false, depth + 1, out var itemSize);
            _path.Pop();
            size += itemSize;
            _items.Add(item);
            SkipSpace();
            if (AtBoundary || Column < column)
            {
                break;
            }

            if (Column > column || (!AtBlockEntry && !indentless))
            {
                throw NotHandled();
            }

            if (!AtBlockEntry)
            {
                break;
            }
        }

        var items = CollectionsMarshal.AsSpan(_items)[first..].ToArray();
        CollectionsMarshal.SetCount(_items, first);
        return new SourceSequence(position, items);
    }

    /// <summary>
    /// Strings of up to 32 characters (keys, names, labels) repeat across documents; one instance
    /// each per thread saves most of the allocation for them. Strings are immutable, so sharing is safe.
    /// </summary>
    private static string Intern(ReadOnlySpan<char> span)
    {
        if (span.IsEmpty)
        {
            return "";
        }

        if (span.Length > 32)
        {
            return new string(span);
        }

        var strings = t_strings ??= new Dictionary<string, string>(StringComparer.Ordinal);
        var lookup = strings.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(span, out var known))
        {
            return known;
        }

        if (strings.Count >= 16_384)
        {
            strings.Clear();
        }

        var text = new string(span);
        strings[text] = text;
        return text;
    }

    private static IEnumerable<char> UnhandledCharacters()
    {
        for (var c = '\0'; c < ' '; c++)
        {
            if (c != '\n')
            {
                yield return c;
            }
        }

        for (var c = '\u007f'; c <= '\u009f'; c++)
        {
            yield return c;
        }

        for (var c = '\ud800'; c <= '\udfff'; c++)
        {
            yield return c;
        }

        yield return '\u2028';
        yield return '\u2029';
        yield return '\ufeff';
        yield return '\ufffe';
        yield return '\uffff';
    }

    /// <summary>Thrown where the subset ends; caught in <see cref="TryRead"/> only.</summary>
    private sealed class NotHandledException : Exception;
}
