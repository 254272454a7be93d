using System.Text;
using CsCheck;

namespace Membrane.Cli.Tests.Hostile;

/// <summary>
/// Mutates real policy files the way a fuzzer would: inserts tokens that YAML and JSON readers
/// find hard (aliases, anchors, unbalanced brackets, bad escapes, NUL, directives, terminal escapes,
/// ambiguous scalars), deletes and duplicates spans, and truncates. Each mutation is drawn from a
/// CsCheck generator, so a failure comes with a seed that reproduces it.
/// </summary>
internal static class InputMutator
{
    private static readonly string[] Tokens =
    [
        "*a", "&a ", "*b", "&b [*a, *a, *a]", "{", "}", "[", "]", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\\u0000", "\0", "\n---\n", "\n...\n%YAML 1.2\n---\n",
        ": ", "- ", "~", "null", "0x1F", "010", "1e3", "yes", "on", "\t", "\u001b[2J", "'", "\"", "!!str ", "!!int ", "? ", "<<: *a\n", "\n  ", "\n    - ",
        "kind: Deployment\n", "kind:\n", "kind: \"\"\n", "apiVersion: cilium.io/v2\n", "10.1", "010.0.0.1/8", "[::1]/128", "::ffff:1.2.3.4/120", "\"080\"", "\"0x50\"",
        "icmps: [{fields: [{type: 0}]}]", "toPorts: [{}]", "\u202e", "\\", "#", "%", "@", "`", "|\n", ">-\n", "\ufeff",
    ];

    public static Gen<string> Mutated(IReadOnlyList<string> seeds) =>
        Gen.Select(Gen.Int[0, seeds.Count - 1], Gen.Int[1, 4], Gen.Int.Array[12]).Select((seed, count, draws) => Apply(seeds[seed], count, draws));

    private static string Apply(string text, int count, int[] draws)
    {
        var builder = new StringBuilder(text);
        for (var i = 0; i < count; i++)
        {
            var kind = Math.Abs(draws[i * 3] % 6);
            var at = builder.Length == 0 ? 0 : Math.Abs(draws[(i * 3) + 1] % builder.Length);
            var arg = Math.Abs(draws[(i * 3) + 2]);
            switch (kind)
            {
                case 0 or 1:
                    builder.Insert(at, Tokens[arg % Tokens.Length]);
                    break;
                case 2:
                    builder.Remove(at, Math.Min(1 + (arg % 20), builder.Length - at));
                    break;
                case 3:
                    var line = LineAt(builder.ToString(), at);
                    builder.Insert(line.Start, line.Text);
                    break;
                case 4:
                    builder.Length = at;
                    break;
                default:
                    if (builder.Length > 0)
                    {
                        builder[at] = "{}[]:,-\"'&*!|>#\n\t 0"[arg % 19];
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
