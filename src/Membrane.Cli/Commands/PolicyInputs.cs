using Membrane.Cli.Output;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Inputs;
using Membrane.Policy.Validation;

namespace Membrane.Cli.Commands;

/// <summary>
/// The CLI's side of <see cref="InputCollector"/>: it prints the collector's notes and errors on standard error
/// (so JSON on standard output stays one document) and turns what was read into <see cref="PolicyText"/>s.
/// </summary>
public static class PolicyInputs
{
    /// <summary>The collector options of one command run.</summary>
    public static InputOptions Options(long maxInputSize, Func<Stream> stdin) =>
        new() { MaxInputSize = maxInputSize, MaxInputSizeSetting = InputSizeOption.Name, StandardInput = stdin };

    /// <summary>The policy texts of <paramref name="paths"/>, or null (exit 2) when some input could not be read.</summary>
    public static List<PolicyText>? Collect(InputCollector collector, IEnumerable<string> paths, TextWriter stderr)
    {
        var set = collector.Collect(paths);
        return Report(set, stderr) ? [.. set.Texts.Select(t => new PolicyText(t.Name, t.Text))] : null;
    }

    /// <summary>The text of a file given to an option such as <c>--identities</c>, or null (exit 2).</summary>
    public static PolicyText? ReadFile(InputCollector collector, string path, string option, TextWriter stderr)
    {
        var set = collector.ReadFile(path, option);
        return Report(set, stderr) && set.Texts is [var text] ? new PolicyText(text.Name, text.Text) : null;
    }

    /// <summary>Notes print as findings do; errors as the CLI's other exit-2 errors do. True when nothing failed.</summary>
    public static bool Report(InputSet set, TextWriter stderr)
    {
        foreach (var finding in set.Findings)
        {
            // Paths come from the file system, where a name may hold any byte but '/' and NUL.
            stderr.WriteLine(TerminalText.Escape(finding.Severity == Severity.Error ? $"membrane: error{(finding.Code.Length == 0 ? "" : " " + finding.Code)}: {finding.Position.File}: {finding.Message}" : finding.ToString()));
        }

        return !set.HasErrors;
    }
}
