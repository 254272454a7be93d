using System.CommandLine;
using Membrane.Bpf;
using Membrane.Cli.Output;
using Membrane.Datapath.Ebpf.Benchmarking;

namespace Membrane.Cli.Commands;

/// <summary><c>membrane bench ...</c>: measurements that need no agent.</summary>
public static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("bench", "Measure Membrane on this machine.");
        var output = OutputOption.Create();
        var packets = new Option<int>("--packets") { Description = "Packets per figure.", DefaultValueFactory = _ => 100_000 };
        var datapath = new Command("datapath", "Mean nanoseconds per packet of the generated program under BPF_PROG_TEST_RUN, per case, with 10 and 100,000 policy and ipcache entries. Needs root.");
        datapath.Options.Add(output);
        datapath.Options.Add(packets);
        datapath.SetAction(parse =>
        {
            var count = parse.GetValue(packets);
            if (count is < 1 or > 10_000_000)
            {
                stderr.WriteLine("membrane: --packets must be between 1 and 10,000,000");
                return MembraneCommand.UsageError;
            }

            IReadOnlyList<DatapathBenchmarkResult> results;
            try
            {
                results = DatapathBenchmark.Run(count, new Progress(stderr));
            }
            catch (BpfException e)
            {
                stderr.WriteLine($"membrane: bench datapath: {e.Message}");
                return MembraneCommand.UsageError;
            }

            if (OutputOption.Parse(parse.GetValue(output)!) == OutputFormat.Json)
            {
                DatapathJsonWriter.WriteBenchmark(results, stdout);
                return 0;
            }

            stdout.WriteLine($"{"CASE",-20}{"POLICY ENTRIES",16}{"IPCACHE ENTRIES",17}{"NS/PACKET",11}");
            foreach (var r in results)
            {
                stdout.WriteLine($"{r.Case,-20}{r.PolicyEntries,16:N0}{r.IpcacheEntries,17:N0}{r.NsPerPacket,11:0.0}");
            }

            return 0;
        });
        command.Subcommands.Add(datapath);
        return command;
    }

    /// <summary>Reports each step on standard error at once, so a long run shows where it is.</summary>
    private sealed class Progress(TextWriter stderr) : IProgress<string>
    {
        public void Report(string value) => stderr.WriteLine($"bench datapath: {value}");
    }
}
