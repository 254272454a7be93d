using System.Runtime.CompilerServices;
using System.Text;
using Membrane.Policy.Source;

namespace Membrane.Policy.Tests.Reading;

/// <summary>
/// Writes a reading out in full (every node's type, position, text and kind, entries in order,
/// aliased nodes by identity, every finding), so two readings compare as two strings and a
/// difference shows as a diff of lines.
/// </summary>
internal static class SourceTreeDump
{
    public static string Of(SourceReadResult read)
    {
        var text = new StringBuilder();
        var seen = new Dictionary<SourceNode, int>(ReferenceEqualityComparer.Instance);
        foreach (var document in read.Documents)
        {
            text.AppendLine("--- document");
            Node(text, document.Root, 1, seen);
            Findings(text, document.Findings);
        }

        text.AppendLine("--- stream");
        Findings(text, read.Findings);
        return text.ToString();
    }

    private static void Node(StringBuilder text, SourceNode node, int depth, Dictionary<SourceNode, int> seen)
    {
        text.Append(' ', depth * 2);
        if (seen.TryGetValue(node, out var id))
        {
            text.Append("alias of #").Append(id).AppendLine();
            return;
        }

        seen[node] = seen.Count;
        text.Append('#').Append(seen[node]).Append(' ').Append(At(node.Position)).Append(' ');
        switch (node)
        {
            case SourceScalar scalar:
                text.Append(scalar.Kind).Append(' ').AppendLine(Quote(scalar.Text));
                break;
            case SourceSequence sequence:
                text.Append("sequence ").Append(sequence.Items.Count).AppendLine();
                foreach (var item in sequence.Items)
                {
                    Node(text, item, depth + 1, seen);
                }

                break;
            case SourceMapping mapping:
                text.Append("mapping ").Append(mapping.Entries.Count).AppendLine();
                foreach (var (key, value) in mapping.Entries)
                {
                    Node(text, key, depth + 1, seen);
                    Node(text, value, depth + 2, seen);
                }

                break;
            default:
                throw new SwitchExpressionException(node);
        }
    }

    private static void Findings(StringBuilder text, IEnumerable<Diagnostics.FieldError> findings)
    {
        foreach (var f in findings)
        {
            text.Append("  finding ").Append(f.Severity).Append(' ').Append(f.Kind).Append(' ').Append(At(f.Position))
                .Append(" path=").Append(f.Path).Append(" value=").Append(Quote(f.BadValue ?? "")).Append(' ').AppendLine(f.Detail);
        }
    }

    private static string At(SourcePosition p) => $"{p.File}:{p.Line}:{p.Column}";

    private static string Quote(string s)
    {
        var text = new StringBuilder("\"");
        foreach (var c in s)
        {
            text.Append(c is < ' ' or '"' or '\\' or > '~' ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return text.Append('"').ToString();
    }
}
