using Membrane.Policy.Diagnostics;
using Membrane.Policy.Source;
using Membrane.Policy.Validation;

namespace Membrane.Cli.Output;

/// <summary>Findings as a compiler prints them, one a line, then the summary line.</summary>
public static class ValidationTextWriter
{
    public static void Write(ValidationReport report, TextWriter output)
    {
        foreach (var file in report.Files)
        {
            foreach (var finding in file.AllFindings)
            {
                output.WriteLine(TerminalText.Escape(finding.ToString()));
            }

            if (file.SuppressedFindings > 0)
            {
                var note = new FieldError
                {
                    Severity = Severity.Note,
                    Kind = FieldErrorKind.TooMany,
                    Code = "MBR1060",
                    Path = "",
                    Position = new SourcePosition(file.File, 0, 0),
                    Detail = $"{file.SuppressedFindings:N0} more finding{(file.SuppressedFindings == 1 ? "" : "s")} not shown (at most {SourceLimits.Default.MaxFindings:N0} per input)",
                };
                output.WriteLine(TerminalText.Escape(note.ToString()));
            }
        }

        output.WriteLine(report.Summary);
    }
}
