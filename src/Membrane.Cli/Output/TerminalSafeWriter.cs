using System.Text;

namespace Membrane.Cli.Output;

/// <summary>
/// A text writer that passes everything through <see cref="TerminalText"/>, keeping line breaks:
/// for text output built from many pieces of input (labels, policy names, file names), where
/// escaping each piece by hand would leave one out.
/// </summary>
public sealed class TerminalSafeWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => inner.Write(TerminalText.Escape(value.ToString(), keepNewlines: true));

    public override void Write(string? value) => inner.Write(value is null ? null : TerminalText.Escape(value, keepNewlines: true));

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => inner.WriteLine(value is null ? null : TerminalText.Escape(value, keepNewlines: true));

    public override void Flush() => inner.Flush();
}
