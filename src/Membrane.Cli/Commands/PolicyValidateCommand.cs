using System.CommandLine;
using Membrane.Cli.Output;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Inputs;
using Membrane.Policy.Validation;

namespace Membrane.Cli.Commands;

/// <summary><c>membrane policy validate PATH...</c>: exit 0 valid, 1 invalid, 2 usage or I/O error.</summary>
public static class PolicyValidateCommand
{
    // Below this many files the run is too short for a progress line to help.
    private const int ProgressThreshold = 200;

    public static Command Create(TextWriter stdout, TextWriter stderr, Func<Stream> stdin)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Policy files, or directories to search for *.yaml, *.yml and *.json; '-' reads standard input.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = OutputOption.Create();
        var lint = new Option<bool>("--lint") { Description = "Also warn about valid policies that are likely wrong (ICMP-aware)." };
        var maxInputSize = InputSizeOption.Create();
        var compat = CompatOption.Create();

        var command = new Command("validate", "Check policy files and report every error with its file, line and field.");
        command.Arguments.Add(paths);
        command.Options.Add(output);
        command.Options.Add(lint);
        command.Options.Add(maxInputSize);
        command.Options.Add(compat);
        command.SetAction(parse => Execute(
            parse.GetValue(paths)!, OutputOption.Parse(parse.GetValue(output)!),
            new ValidationOptions { Lint = parse.GetValue(lint), CompatCilium = parse.GetValue(compat) == CompatOption.Cilium, KeepDocuments = false },
            PolicyInputs.Options(parse.GetValue(maxInputSize), stdin), stdout, stderr));
        return command;
    }

    public static int Execute(string[] paths, OutputFormat format, ValidationOptions options, InputOptions inputs, TextWriter stdout, TextWriter stderr)
    {
        // Each file is read inside the parallel validation, and its text dropped once checked (issue 8).
        var plan = new InputCollector(inputs).Plan(paths);
        var progress = plan.Count >= ProgressThreshold && !Console.IsErrorRedirected
            ? new Progress<int>(done => stderr.Write($"\rvalidating: {done}/{plan.Count} files"))
            : null;
        var report = PolicyService.Check(plan, options, progress, out var read);
        if (progress is not null)
        {
            stderr.Write("\r\u001b[K");
        }

        // An input that cannot be read refuses the whole set: its errors, and no report of the others.
        if (!PolicyInputs.Report(read, stderr) || report is null)
        {
            return MembraneCommand.UsageError;
        }

        if (format == OutputFormat.Json)
        {
            ValidationJsonWriter.Write(report, stdout);
        }
        else
        {
            ValidationTextWriter.Write(report, stdout);
        }

        return report.IsValid ? 0 : 1;
    }
}
