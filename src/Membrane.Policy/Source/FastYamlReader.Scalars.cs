namespace Membrane.Policy.Source;

/// <summary>
/// Plain, quoted and block scalars. Each follows YamlDotNet's scanner step for step where the
/// subset reaches (ScanPlainScalar, ScanFlowScalar, ScanBlockScalar), so that folding, chomping and
/// indentation come out the same, and gives up wherever that scanner reports an error.
/// </summary>
internal sealed partial class FastYamlReader
{
    /// <summary>
    /// A plain scalar may not start with an indicator (YAML 1.2 §7.3.3, ns-plain-first); '-' followed
    /// by a non-space may. '?' and ':' may too in YAML 1.2, but YamlDotNet's rules there differ by
    /// context, so they are left to it.
    /// </summary>
    private void CheckPlainStart(bool flow)
    {
        var c = Peek();
        if (c is '?' or ':' or ',' or '[' or ']' or '{' or '}' or '#' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`' or ' ' or '\n' or '\0')
        {
            throw NotHandled();
        }

        if (c == '-' && (IsBlank(Peek(1)) || (flow && Peek(1) is ',' or '[' or ']' or '{' or '}')))
        {
            throw NotHandled();
        }
    }

    /// <summary>
    /// A plain scalar that is not a block mapping's first key. In flow context YamlDotNet fails
    /// (InvalidOperationException) on one that starts left of the enclosing block's indentation, so
    /// that is left to it.
    /// </summary>
    private string ReadPlainScalar(int indent, bool flow, out bool multiline)
    {
        CheckPlainStart(flow);
        if (flow && Column < indent + 1)
        {
            throw NotHandled();
        }

        return ReadPlain(indent, flow, out multiline, out _);
    }

    /// <summary>
    /// A plain scalar (§7.3.3), folded over lines as §6.5 says: one line break becomes a space, n
    /// breaks become n-1 newlines. It ends at ": " (then <paramref name="colon"/>), at " #", at a line
    /// indented no deeper than <paramref name="indent"/> (block context), or at a flow indicator
    /// (flow context, where a scalar over several lines is left to YamlDotNet). The reader is left
    /// just after its last character.
    /// </summary>
    private string ReadPlain(int indent, bool flow, out bool multiline, out bool colon)
    {
        multiline = false;
        colon = false;
        var start = _pos;
        var end = _pos;
        var endLine = _line;
        var endLineStart = _lineStart;
        var folded = false;
        var leadingBlanks = false;
        var breaks = 0;
        _builder.Clear();
        while (true)
        {
            if (AtMarker('-') || AtMarker('.') || Peek() == '#')
            {
                break;
            }

            if (Peek() == '*' && _pos != start)
            {
                // YamlDotNet reads ':' differently in a run that starts with '*' (its alias-value case).
                throw NotHandled();
            }

            var run = _pos;
            while (true)
            {
                var c = Peek();
                if (IsBlank(c))
                {
                    break;
                }

                if (c == ':' && (IsBlank(Peek(1)) || (flow && Peek(1) == ',')))
                {
                    colon = true;
                    break;
                }

                if (flow && c is ',' or '[' or ']' or '{' or '}')
                {
                    break;
                }

                if (flow && c == ':' && Peek(1) is '[' or ']' or '{' or '}')
                {
                    throw NotHandled();
                }

                _pos++;
            }

            if (_pos > run)
            {
                if (leadingBlanks)
                {
                    if (flow)
                    {
                        throw NotHandled();
                    }

                    if (!folded)
                    {
                        _builder.Append(_text, start, end - start);
                        folded = true;
                    }

                    if (breaks == 0)
                    {
                        _builder.Append(' ');
                    }
                    else
                    {
                        _builder.Append('\n', breaks);
                    }

                    leadingBlanks = false;
                    breaks = 0;
                }
                else if (folded)
                {
                    _builder.Append(_text, end, run - end);
                }

                if (folded)
                {
                    _builder.Append(_text, run, _pos - run);
                }

                end = _pos;
                endLine = _line;
                endLineStart = _lineStart;
            }

            if (colon || Peek() is not (' ' or '\n'))
            {
                break;
            }

            while (Peek() is ' ' or '\n')
            {
                if (Peek() == ' ')
                {
                    _pos++;
                }
                else
                {
                    multiline = true;
                    if (leadingBlanks)
                    {
                        breaks++;
                    }

                    leadingBlanks = true;
                    NextLine();
                }
            }

            if (!flow && Column < indent + 1)
            {
                break;
            }
        }

        // What was consumed past the last character belongs to the next token.
        _pos = end;
        _line = endLine;
        _lineStart = endLineStart;
        return folded ? _builder.ToString() : Intern(_text.AsSpan(start, end - start));
    }

    /// <summary>
    /// A single- or double-quoted scalar (§7.3.1, §7.3.2) with its escapes (§5.7) and line folding.
    /// Leaves the reader after the closing quote, which must be followed by a space, a line end, a
    /// ':' or (in flow context) a flow indicator.
    /// </summary>
    private string ReadQuoted(int indent, out bool multiline)
    {
        var single = Peek() == '\'';
        var quote = single ? '\'' : '"';
        multiline = false;
        _pos++;
        var start = _pos;
        var close = _text.AsSpan(_pos).IndexOfAny(single ? "'\n" : "\"\\\n");
        string text;
        if (close >= 0 && _text[_pos + close] == quote && !(single && Peek(close + 1) == '\''))
        {
            // One line, no escapes: the text as written.
            _pos += close + 1;
            text = Intern(_text.AsSpan(start, close));
        }
        else
        {
            text = ReadQuotedSlowly(single, indent, ref multiline);
        }

        if (!(IsBlank(Peek()) || Peek() is ':' or ',' or ']' or '}'))
        {
            throw NotHandled();
        }

        return text;
    }

    private string ReadQuotedSlowly(bool single, int indent, ref bool multiline)
    {
        var quote = single ? '\'' : '"';
        _builder.Clear();
        var leadingBlanks = false;
        var leadingBreak = false;
        var spaces = 0;
        var breaks = 0;
        while (true)
        {
            // A document marker (§9.1.4), the end of the text, or (YamlDotNet) a double-quoted
            // line at or left of the block's indentation are errors, which YamlDotNet reports.
            if (AtMarker('-') || AtMarker('.') || AtEnd || (leadingBlanks && !single && indent >= Column))
            {
                throw NotHandled();
            }

            leadingBlanks = false;
            while (!IsBlank(Peek()))
            {
                var c = Peek();
                if (single && c == '\'' && Peek(1) == '\'')
                {
                    _builder.Append('\'');
                    _pos += 2;
                }
                else if (c == quote)
                {
                    break;
                }
                else if (!single && c == '\\' && Peek(1) == '\n')
                {
                    // An escaped line break joins the lines with nothing between (§7.3.1).
                    _pos++;
                    NextLine();
                    leadingBlanks = true;
                    break;
                }
                else if (!single && c == '\\')
                {
                    ReadEscape();
                }
                else
                {
                    _builder.Append(c);
                    _pos++;
                }
            }

            if (Peek() == quote)
            {
                break;
            }

            while (Peek() is ' ' or '\n')
            {
                if (Peek() == ' ')
                {
                    if (!leadingBlanks)
                    {
                        spaces++;
                    }

                    _pos++;
                }
                else
                {
                    multiline = true;
                    if (!leadingBlanks)
                    {
                        spaces = 0;
                        leadingBreak = true;
                        leadingBlanks = true;
                    }
                    else
                    {
                        breaks++;
                    }

                    NextLine();
                }
            }

            if (leadingBlanks)
            {
                if (leadingBreak && breaks == 0)
                {
                    _builder.Append(' ');
                }
                else
                {
                    _builder.Append('\n', breaks);
                }

                leadingBreak = false;
                breaks = 0;
            }
            else
            {
                _builder.Append(' ', spaces);
                spaces = 0;
            }
        }

        _pos++;
        return _builder.ToString();
    }

    /// <summary>
    /// A double-quoted escape (§5.7). Escapes that name a surrogate, or a code point past U+10FFFF,
    /// are YamlDotNet's to pair or refuse.
    /// </summary>
    private void ReadEscape()
    {
        var e = Peek(1);
        var length = e switch { 'x' => 2, 'u' => 4, 'U' => 8, _ => 0 };
        if (length == 0)
        {
            _builder.Append(e switch
            {
                '0' => '\0',
                'a' => '\a',
                'b' => '\b',
                't' => '\t',
                'n' => '\n',
                'v' => '\v',
                'f' => '\f',
                'r' => '\r',
                'e' => '\u001b',
                ' ' => ' ',
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                'N' => '\u0085',
                '_' => '\u00a0',
                'L' => '\u2028',
                'P' => '\u2029',
                _ => throw NotHandled(),
            });
            _pos += 2;
            return;
        }

        _pos += 2;
        var code = 0;
        for (var k = 0; k < length; k++)
        {
            var digit = HexValue(Peek(k));
            if (digit < 0 || code > 0x10FFFF)
            {
                throw NotHandled();
            }

            code = (code << 4) + digit;
        }

        if (code is >= 0xD800 and <= 0xDFFF or > 0x10FFFF)
        {
            throw NotHandled();
        }

        _pos += length;
        if (code < 0x10000)
        {
            _builder.Append((char)code);
        }
        else
        {
            code -= 0x10000;
            _builder.Append((char)(0xD800 + (code >> 10))).Append((char)(0xDC00 + (code & 0x3FF)));
        }
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>
    /// A literal (|) or folded (>) block scalar (§8.1) with its chomping (-, +) and indentation
    /// indicators, in a block collection at column <paramref name="indent"/>. The content
    /// indentation, the folding of lines and the chomping of the final breaks follow YamlDotNet's
    /// ScanBlockScalar, including the two header cases it refuses (yaml-test-suite W9L4 and S98Z).
    /// </summary>
    private string ReadBlockScalar(int indent)
    {
        var literal = Peek() == '|';
        _pos++;
        var chomping = 0;
        var increment = 0;
        if (Peek() is '+' or '-')
        {
            chomping = Peek() == '+' ? 1 : -1;
            _pos++;
            if (char.IsAsciiDigit(Peek()))
            {
                increment = ReadIndentationIndicator();
            }
        }
        else if (char.IsAsciiDigit(Peek()))
        {
            increment = ReadIndentationIndicator();
            if (Peek() is '+' or '-')
            {
                chomping = Peek() == '+' ? 1 : -1;
                _pos++;
            }
        }

        if (Peek() == '#')
        {
            throw NotHandled();
        }

        RestOfLineBlank();
        bool? firstLine = null;
        if (Peek() == '\n')
        {
            NextLine();
            firstLine = true;
        }

        var current = increment == 0 ? 0 : indent >= 0 ? indent + increment : increment;
        _builder.Clear();
        var breaks = 0;
        current = ReadBlockScalarBreaks(current, ref breaks, literal, ref firstLine, indent);
        if (current == 0)
        {
            throw NotHandled();
        }

        firstLine = false;
        var leadingBreak = false;
        var leadingBlank = false;
        while (Column == current && !AtEnd)
        {
            var trailingBlank = Peek() == ' ';
            if (!literal && leadingBreak && !leadingBlank && !trailingBlank)
            {
                if (breaks == 0)
                {
                    _builder.Append(' ');
                }
            }
            else if (leadingBreak)
            {
                _builder.Append('\n');
            }

            leadingBreak = false;
            _builder.Append('\n', breaks);
            breaks = 0;
            leadingBlank = Peek() == ' ';
            var lineEnd = _text.IndexOf('\n', _pos);
            lineEnd = lineEnd < 0 ? _text.Length : lineEnd;
            _builder.Append(_text, _pos, lineEnd - _pos);
            _pos = lineEnd;
            if (Peek() == '\n')
            {
                NextLine();
                leadingBreak = true;
            }

            current = ReadBlockScalarBreaks(current, ref breaks, literal, ref firstLine, indent);
        }

        if (chomping != -1 && leadingBreak)
        {
            _builder.Append('\n');
        }

        if (chomping == 1)
        {
            _builder.Append('\n', breaks);
        }

        return _builder.ToString();
    }

    private int ReadIndentationIndicator()
    {
        if (Peek() == '0')
        {
            throw NotHandled();
        }

        _pos++;
        return _text[_pos - 1] - '0';
    }

    /// <summary>The empty lines and indentation before a block scalar's next line; fixes the content indentation if not yet known.</summary>
    private int ReadBlockScalarBreaks(int current, ref int breaks, bool literal, ref bool? firstLine, int indent)
    {
        var maxIndent = 0;
        var indentOfFirstLine = -1;
        while (true)
        {
            while ((current == 0 || Column < current) && Peek() == ' ')
            {
                _pos++;
            }

            maxIndent = Math.Max(maxIndent, Column);
            if (Peek() != '\n')
            {
                if (literal && firstLine == true)
                {
                    var i = 0;
                    while (Peek(i) == ' ')
                    {
                        i++;
                    }

                    if (Peek(i) == '\n' && i > 0)
                    {
                        firstLine = false;
                        indentOfFirstLine = Column + i;
                    }
                }

                break;
            }

            if (firstLine == true)
            {
                firstLine = false;
                indentOfFirstLine = Column;
            }

            breaks++;
            NextLine();
        }

        if ((literal && indentOfFirstLine > 1 && current < indentOfFirstLine - 1)
            || (!literal && maxIndent > Column && indentOfFirstLine > -1))
        {
            throw NotHandled();
        }

        if (current == 0 && (Column > 0 || indent > -1))
        {
            current = Math.Max(maxIndent, Math.Max(indent + 1, 1));
        }

        return current;
    }
}
