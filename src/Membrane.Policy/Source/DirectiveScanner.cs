using YamlDotNet.Core;
using YamlDotNet.Core.Tokens;

namespace Membrane.Policy.Source;

/// <summary>
/// YamlDotNet's scanner, handing the parser directives as YAML 1.2 scopes them: a directive belongs
/// to the document after it (§6.8), a document has at most one %YAML (§6.8.1), and directives stand
/// only at the start of the stream or after a "..." (§9.2), so each document of a stream may have
/// its own %YAML, as libyaml and go-yaml (kubectl) read it. YamlDotNet 16's parser keeps a 1.0 or
/// 1.1 document's version for the rest of the stream (Parser.ParseDocumentEnd forgets only 1.2 and
/// later), and then refuses the next document's own %YAML as "Found duplicate %YAML directive";
/// handed 1.2 for these versions, it forgets each at its document's end. The version changes nothing
/// else in the reading: plain scalars are typed by <see cref="YamlSourceReader"/>, not by YamlDotNet,
/// and %TAG directives then last one document, as in libyaml, rather than the rest of a 1.1 stream.
/// The directives YAML refuses are still refused, in words that say which rule they break.
/// </summary>
internal sealed class DirectiveScanner(IScanner scanner, string file, int lineOffset) : IScanner
{
    private const string ScannerMisplacedVersion = "While scanning a version directive, did not find preceding <document end>.";

    private Token? _current;

    // The last token the parser consumed: the scanner's own "previous", which its check of a
    // %YAML directive's place looks at.
    private Token? _consumed;

    // Where directives may stand (the start of the stream, or after "..."), and the %YAML
    // directive there for the document to come.
    private bool _atPrefix = true;
    private VersionDirective? _version;

    public Mark CurrentPosition => scanner.CurrentPosition;

    public Token? Current => _current;

    public bool MoveNext()
    {
        if (_current is not null)
        {
            ConsumeCurrent();
        }

        return MoveNextWithoutConsuming();
    }

    public bool MoveNextWithoutConsuming()
    {
        bool moved;
        try
        {
            moved = scanner.MoveNextWithoutConsuming();
        }
        catch (SemanticErrorException e) when (e.Message.EndsWith(ScannerMisplacedVersion, StringComparison.Ordinal))
        {
            // The scanner takes a %YAML only right after the stream's start, a "---" or a "...";
            // say which rule the directive breaks.
            throw _consumed switch
            {
                VersionDirective first => Duplicate(e.Start, first),
                TagDirective when _version is not null => Duplicate(e.Start, _version),
                TagDirective => new SourceSyntaxException(PositionOf(e.Start),
                    "YAML syntax error: a %YAML directive after a %TAG directive; this reader takes %YAML first: move it above the %TAG directives"),
                _ => Misplaced(e.Start),
            };
        }

        _current = moved ? Hand(scanner.Current!) : null;
        return moved;
    }

    public void ConsumeCurrent()
    {
        scanner.ConsumeCurrent();
        _consumed = _current;
        _current = null;
    }

    private Token Hand(Token token)
    {
        switch (token)
        {
            case VersionDirective directive:
                // The scanner lets a %YAML follow a "---", which the parser then refuses with no position.
                if (!_atPrefix)
                {
                    throw Misplaced(directive.Start);
                }

                if (_version is not null)
                {
                    throw Duplicate(directive.Start, _version);
                }

                _version = directive;
                return directive.Version is { Major: 1, Minor: < 2 } ? new VersionDirective(new YamlDotNet.Core.Version(1, 2), directive.Start, directive.End) : directive;

            case TagDirective:
                return token;

            case StreamStart or DocumentEnd:
                _atPrefix = true;
                _version = null;
                return token;

            default:
                _atPrefix = false;
                _version = null;
                return token;
        }
    }

    private SourceSyntaxException Duplicate(Mark at, VersionDirective first) =>
        new(PositionOf(at), $"YAML syntax error: duplicate %YAML directive: this document has one already, at line {first.Start.Line + lineOffset}; a document may have only one (YAML 1.2 §6.8.1)");

    private SourceSyntaxException Misplaced(Mark at) =>
        new(PositionOf(at), "YAML syntax error: a %YAML directive after a document that was not ended with \"...\": directives may stand only at the start of the stream or after a \"...\" line (YAML 1.2 §9.2)");

    private SourcePosition PositionOf(Mark mark) => new(file, (int)mark.Line + lineOffset, (int)mark.Column);
}
