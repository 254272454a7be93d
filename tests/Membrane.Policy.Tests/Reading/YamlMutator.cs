using System.Text;
using CsCheck;

namespace Membrane.Policy.Tests.Reading;

/// <summary>
/// Mutates YAML files where a YAML reader is most likely to go wrong: indicators, quotes, escapes,
/// indentation, block scalar headers, anchors, aliases, document markers, tabs and line breaks are
/// inserted, spans deleted, lines duplicated or re-indented, and the text truncated (after the CLI
/// tests' InputMutator). Each case comes from a CsCheck generator, so a failure has a seed.
/// </summary>
internal static class YamlMutator
{
    private static readonly string[] Tokens =
    [
        "*a", "&a ", "*b", "&b ", "&a\n", "{", "}", "[", "]", ",", ", ", ": ", ":", "- ", "-", "? ", "#", " #", "'", "\"", "''", "\\", "\\n", "\\x4", "\\u00e9", "\\U0001F600",
        "\n", "\n\n", " ", "  ", "\n  ", "\n    - ", "\n- ", "\t", "\r\n", "\n---\n", "\n...\n", "\n...\n---\n", "%YAML 1.2\n---\n", "---", "...", "|", ">", "|-", ">+", "|2", "|\n", ">-\n  x\n",
        "~", "null", "yes", "0x1F", "1e3", "010", "!!str ", "!x ", "%", "@", "`", "k: v\n", "k:\n", "k: [a, b]\n", "k: {a: 1}\n", "k: \"a\nb\"\n", "k: 'a''b'\n", "\u00e9", "\ufeff",
    ];

    public static Gen<string> Mutated(IReadOnlyList<string> seeds) =>
        Gen.Select(Gen.Int[0, seeds.Count - 1], Gen.Int[1, 3], Gen.Int.Array[9]).Select((seed, count, draws) => Apply(seeds[seed], count, draws));

    private static string Apply(string text, int count, int[] draws)
    {
        var builder = new StringBuilder(text.Length > 4000 ? text[..4000] : text);
        for (var i = 0; i < count; i++)
        {
            var kind = Math.Abs(draws[i * 3] % 7);
            var at = builder.Length == 0 ? 0 : Math.Abs(draws[(i * 3) + 1] % builder.Length);
            var arg = Math.Abs(draws[(i * 3) + 2]);
            switch (kind)
            {
                case 0 or 1:
                    builder.Insert(at, Tokens[arg % Tokens.Length]);
                    break;
                case 2:
                    builder.Remove(at, Math.Min(1 + (arg % 8), builder.Length - at));
                    break;
                case 3:
                    var (start, line) = LineAt(builder.ToString(), at);
                    builder.Insert(start, line);
                    break;
                case 4:
                    var lineStart = at == 0 ? 0 : builder.ToString().LastIndexOf('\n', at - 1) + 1;
                    if (arg % 2 == 0)
                    {
                        builder.Insert(lineStart, " ");
                    }
                    else if (lineStart < builder.Length && builder[lineStart] == ' ')
                    {
                        builder.Remove(lineStart, 1);
                    }

                    break;
                case 5:
                    builder.Length = at;
                    break;
                default:
                    if (builder.Length > 0)
                    {
                        builder[at] = "{}[]:,-\"'&*!|>#\n 0~"[arg % 19];
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    private static (int Start, string Text) LineAt(string text, int at)
    {
        var start = at == 0 ? 0 : text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
        var end = text.IndexOf('\n', at);
        return (start, end < 0 ? text[start..] + "\n" : text[start..(end + 1)]);
    }
}
