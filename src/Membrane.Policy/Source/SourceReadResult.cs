using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Source;

/// <summary>
/// What a reader made of one input: the documents it could read, in order, and what it found wrong
/// (duplicate keys within each document; invalid text or a syntax error outside them). A syntax error ends the reading, but the
/// documents before it are kept, so their own findings are still reported.
/// </summary>
public sealed record SourceReadResult(ImmutableArray<SourceDocument> Documents, ImmutableArray<FieldError> Findings)
{
    /// <summary>Whether anything in the input is an error, in a document or outside any.</summary>
    public bool HasErrors => Findings.Any(f => f.Severity == Severity.Error) || Documents.Any(d => d.Findings.Any(f => f.Severity == Severity.Error));
}
