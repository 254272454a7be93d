using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Validation;

/// <summary>The result of validating a set of files.</summary>
public sealed record ValidationReport(ImmutableArray<FileReport> Files)
{
    public int PolicyCount => Files.Sum(f => f.Policies.Length);

    public int InvalidPolicyCount => Files.Sum(f => f.Policies.Count(p => !p.IsValid));

    /// <summary>
    /// Files with an error outside any policy: a syntax error, or a document that is not a policy (no
    /// <c>kind</c>, a text where an object belongs, a bad list item). Such a file may still hold
    /// policies, read before a syntax error or beside the document that is not one, and they are
    /// counted and judged on their own; the file as a whole is invalid.
    /// </summary>
    public int InvalidFileCount => Files.Count(f => f.SuppressedFileErrors > 0 || f.FileFindings.Any(e => e.Severity == Severity.Error));

    public bool IsValid => Files.All(f => f.IsValid);

    public int Count(Severity severity) => Files.Sum(f => f.AllFindings.Count(e => e.Severity == severity));

    /// <summary>
    /// The closing line: <c>N policies in M files: K invalid</c>, then <c>, F files with errors outside
    /// any policy</c> when there are some. N counts every policy read, K those with an error of their
    /// own, F the files with an error that is no policy's (<see cref="InvalidFileCount"/>), so the
    /// report is valid exactly when K and F are 0. Not "unreadable": such a file was read, and the
    /// policies in it are among the N ("2 policies in 1 file: 0 invalid, 1 file unreadable" said both);
    /// input that cannot be read is refused before validation (exit 2).
    /// </summary>
    public string Summary
    {
        get
        {
            var policies = PolicyCount == 1 ? "1 policy" : $"{PolicyCount} policies";
            var files = Files.Length == 1 ? "1 file" : $"{Files.Length} files";
            var summary = $"{policies} in {files}: {InvalidPolicyCount} invalid";
            if (InvalidFileCount > 0)
            {
                summary += InvalidFileCount == 1 ? ", 1 file with errors outside any policy" : $", {InvalidFileCount} files with errors outside any policy";
            }

            var warnings = Count(Severity.Warning);
            return warnings > 0 ? $"{summary} ({warnings} warning{(warnings == 1 ? "" : "s")})" : summary;
        }
    }
}
