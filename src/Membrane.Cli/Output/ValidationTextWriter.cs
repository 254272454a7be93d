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
                output.WriteLine(finding.ToString());
            }
        }

        output.WriteLine(report.Summary);
    }
}
