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
                output.WriteLine(TerminalText.Escape($"{file.File}: note: {file.SuppressedFindings:N0} more finding{(file.SuppressedFindings == 1 ? "" : "s")} not shown (at most {SourceLimits.Default.MaxFindings:N0} per input)"));
            }
        }

        output.WriteLine(report.Summary);
    }
}
