using System.CommandLine;
using System.Text.Json;
using Membrane.Demo;
using Membrane.Cli.Output;

namespace Membrane.Cli.Commands.Agent;

/// <summary><c>membrane demo</c>: real enforcement of an ICMP policy, end to end, in a throwaway node with its own agent.</summary>
public static class DemoCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var output = OutputOption.Create();
        var bpffs = new Option<string>("--bpffs-root") { Description = "Where the demo's agent pins its links (removed at the end).", DefaultValueFactory = _ => "/sys/fs/bpf/membrane-demo" };
        var command = new Command("demo", "Show ICMP allow-listing on real traffic: a throwaway node with its own agent and three endpoints, a policy, real pings and TCP, and what the monitor saw. Leaves nothing behind. Needs root.")
        {
            output, bpffs,
        };
        command.SetAction((parse, cancellation) =>
        {
            if (!Environment.IsPrivilegedProcess)
            {
                stderr.WriteLine("membrane: the demo needs root: it creates network namespaces and runs an agent");
                return Task.FromResult(MembraneCommand.UsageError);
            }

            return RunAsync(OutputOption.Parse(parse.GetValue(output)!), parse.GetValue(bpffs)!, stdout, stderr, cancellation);
        });
        return command;
    }

    private static async Task<int> RunAsync(OutputFormat format, string bpffsRoot, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        // The agent is this program: its app host, or the dll under dotnet when run from a build.
        var host = Path.Combine(AppContext.BaseDirectory, "membrane");
        IReadOnlyList<string> agent = File.Exists(host) ? [host] : ["dotnet", Path.Combine(AppContext.BaseDirectory, "membrane.dll")];
        var flows = await DemoRunner.RunAsync(agent, new Progress(stderr), bpffsRoot, cancellation);
        if (format == OutputFormat.Json)
        {
            using var stream = new MemoryStream();
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartArray();
                foreach (var f in flows)
                {
                    json.WriteStartObject();
                    json.WriteString("from", f.From);
                    json.WriteString("to", f.To);
                    json.WriteString("flow", f.What);
                    json.WriteString("expected", f.ExpectedAllowed ? "allowed" : "denied");
                    json.WriteString("observed", f.ObservedAllowed ? "allowed" : "denied");
                    json.WriteStartArray("events");
                    f.Events.ToList().ForEach(json.WriteStringValue);
                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            stdout.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        }
        else
        {
            stdout.WriteLine("Policy: db accepts ICMP EchoRequest (IPv4 and IPv6) and TCP/80 from web, and nothing else.");
            stdout.WriteLine();
            stdout.WriteLine($"{"FLOW",-32}{"EXPECTED",-10}{"OBSERVED",-10}");
            foreach (var f in flows)
            {
                stdout.WriteLine($"{$"{f.From} -> {f.To}  {f.What}",-32}{(f.ExpectedAllowed ? "allowed" : "denied"),-10}{(f.ObservedAllowed ? "allowed" : "denied"),-10}{(f.AsExpected ? "ok" : "UNEXPECTED")}");
            }

            var events = flows.SelectMany(f => f.Events).Distinct().ToList();
            stdout.WriteLine();
            stdout.WriteLine(events.Count > 0 ? "What the monitor saw of the drops:" : "The monitor saw no drops.");
            foreach (var e in events)
            {
                stdout.WriteLine($"  {TerminalText.Escape(e)}");
            }
        }

        return flows.All(f => f.AsExpected) ? 0 : 1;
    }

    private sealed class Progress(TextWriter stderr) : IProgress<string>
    {
        public void Report(string value) => stderr.WriteLine($"demo: {value}");
    }
}
