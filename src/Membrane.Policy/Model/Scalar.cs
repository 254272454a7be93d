using System.Globalization;
using Membrane.Policy.Source;

namespace Membrane.Policy.Model;

/// <summary>
/// A value exactly as the user wrote it: its text, whether it was a string, number, boolean or
/// null, and its position. The model keeps the text rather than an interpretation (a port number,
/// an ICMP type) so that validation can say precisely what was wrong with it and where.
/// </summary>
public readonly record struct Scalar(string Text, ScalarKind Kind, SourcePosition Position)
{
    public static Scalar String(string text) => new(text, ScalarKind.String, SourcePosition.None);

    public static Scalar Number(long value) => new(value.ToString(CultureInfo.InvariantCulture), ScalarKind.Number, SourcePosition.None);

    public static Scalar Boolean(bool value) => new(value ? "true" : "false", ScalarKind.Boolean, SourcePosition.None);

    public bool IsNull => Kind == ScalarKind.Null;

    /// <summary>A boolean that reads as true: <c>true</c>, <c>True</c>, <c>TRUE</c>, or YAML 1.1's <c>yes</c> and <c>on</c> forms.</summary>
    public bool IsTrue => Kind == ScalarKind.Boolean && SourceText.IsTrue(Text);

    // Like PolicyNode, equality is about the value written, not where it was written.
    public bool Equals(Scalar other) => Text == other.Text && Kind == other.Kind;

    public override int GetHashCode() => HashCode.Combine(Text, Kind);

    public override string ToString() => Text;
}
