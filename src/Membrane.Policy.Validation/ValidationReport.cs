using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Validation;

/// <summary>The result of validating a set of files.</summary>
public sealed record ValidationReport(ImmutableArray<FileReport> Files)
{
    public int PolicyCount => Files.Sum(f => f.Policies.Length);

    public int InvalidPolicyCount => Files.Sum(f => f.Policies.Count(p => !p.IsValid));

    /// <summary>Files with an error outside any policy, such as a syntax error.</summary>
    public int InvalidFileCount => Files.Count(f => f.FileFindings.Any(e => e.Severity == Severity.Error));

    public bool IsValid => Files.All(f => f.IsValid);

    public int Count(Severity severity) => Files.Sum(f => f.AllFindings.Count(e => e.Severity == severity));

    /// <summary>The closing line: <c>N policies in M files: K invalid</c>.</summary>
    public string Summary
    {
        get
        {
            var policies = PolicyCount == 1 ? "1 policy" : $"{PolicyCount} policies";
            var files = Files.Length == 1 ? "1 file" : $"{Files.Length} files";
            var summary = $"{policies} in {files}: {InvalidPolicyCount} invalid";
            if (InvalidFileCount > 0)
            {
                summary += InvalidFileCount == 1 ? ", 1 file unreadable" : $", {InvalidFileCount} files unreadable";
            }

            var warnings = Count(Severity.Warning);
            return warnings > 0 ? $"{summary} ({warnings} warning{(warnings == 1 ? "" : "s")})" : summary;
        }
    }
}
