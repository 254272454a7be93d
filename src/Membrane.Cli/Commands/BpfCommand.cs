using System.CommandLine;
using Membrane.Bpf;
using Membrane.Cli.Output;
using Membrane.Datapath;
using Membrane.Datapath.Ebpf.Inspection;

namespace Membrane.Cli.Commands;

/// <summary><c>membrane bpf ...</c>: the generated datapath, looked at without an agent.</summary>
public static class BpfCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("bpf", "Look at the eBPF datapath: the generated programs and the verifier's figures (offline), and an agent's live policy and conntrack maps.");
        command.Subcommands.Add(DumpProgram(stdout));
        command.Subcommands.Add(Stats(stdout, stderr));
        foreach (var live in Agent.BpfLiveCommands.Create(stdout, stderr))
        {
            command.Subcommands.Add(live);
        }
        return command;
    }

    private static Command DumpProgram(TextWriter stdout)
    {
        var direction = new Option<string>("--direction")
        {
            Description = "The program: ingress (mbr_to_ep, the endpoint's ingress policy) or egress (mbr_from_ep, its egress policy).",
            DefaultValueFactory = _ => "ingress",
        };
        direction.AcceptOnlyFromAmong("ingress", "egress");
        var command = new Command("dump-prog", "Print the generated program, disassembled, with the generator's comments. Needs no kernel.");
        command.Options.Add(direction);
        command.SetAction(parse =>
        {
            var which = parse.GetValue(direction) == "egress" ? DatapathConstants.DirectionEgress : DatapathConstants.DirectionIngress;
            stdout.WriteLine($"; {DatapathInspector.ProgramName(which)}: enforces the endpoint's {parse.GetValue(direction)} policy");
            stdout.Write(DatapathInspector.Disassemble(which));
            return 0;
        });
        return command;
    }

    private static Command Stats(TextWriter stdout, TextWriter stderr)
    {
        var output = OutputOption.Create();
        var command = new Command("stats", "Load both programs through the kernel's verifier and print their size and verifier statistics. Needs root.");
        command.Options.Add(output);
        command.SetAction(parse =>
        {
            IReadOnlyList<ProgramReport> reports;
            try
            {
                reports = DatapathInspector.Verify();
            }
            catch (BpfException e)
            {
                stderr.WriteLine($"membrane: bpf stats: {e.Message}");
                return MembraneCommand.UsageError;
            }

            if (OutputOption.Parse(parse.GetValue(output)!) == OutputFormat.Json)
            {
                DatapathJsonWriter.WriteReports(reports, stdout);
                return 0;
            }

            stdout.WriteLine($"{"PROGRAM",-14}{"INSTRUCTIONS",14}{"PROCESSED",12}{"STATES",9}{"PEAK",8}{"VERIFIED IN",14}");
            foreach (var r in reports)
            {
                var time = r.VerificationMilliseconds is { } ms ? $"{ms:0.0} ms" : "-";
                stdout.WriteLine($"{r.Program,-14}{r.Instructions,14:N0}{r.ProcessedInstructions,12:N0}{r.TotalStates,9:N0}{r.PeakStates,8:N0}{time,14}");
            }

            var within = reports.All(DatapathInspector.WithinBudget);
            stdout.WriteLine($"budget per program: {DatapathInspector.MaxInstructions:N0} instructions and {DatapathInspector.MaxProcessedInstructions:N0} processed (old kernels' limits): {(within ? "within" : "EXCEEDED")}");
            return within ? 0 : 1;
        });
        return command;
    }
}
