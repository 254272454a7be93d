using System.CommandLine;
using Membrane.Api;
using Membrane.Cli.Output;

namespace Membrane.Cli.Commands.Agent;

/// <summary><c>membrane bpf policy get ENDPOINT</c>, <c>membrane bpf ct list [ENDPOINT]</c> and <c>membrane bpf ipcache list</c>: the live maps, through the agent.</summary>
public static class BpfLiveCommands
{
    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr)
    {
        var endpoint = new Argument<string>("ENDPOINT");
        var socket = SocketOption.Create();
        var output = OutputOption.Create();
        var get = new Command("get", "Decode an endpoint's live BPF policy map: every entry, with ICMP names and the rules behind it.") { endpoint, socket, output };
        get.SetAction(parse => AgentCall.Run(parse.GetValue(socket), stderr, async client =>
        {
            var rows = await client.EndpointPolicyMapAsync(parse.GetValue(endpoint)!);
            if (OutputOption.Parse(parse.GetValue(output)!) == OutputFormat.Json)
            {
                AgentCall.WriteJson(stdout, rows, ApiJsonContext.Default.ListBpfPolicyEntry);
                return 0;
            }

            var text = new TerminalSafeWriter(stdout);
            text.WriteLine($"{"DIRECTION",-10}{"IDENTITY",10}  {"PROTOCOL",-9}{"COVERS",-32}{"VERDICT",-8}RULES");
            foreach (var r in rows)
            {
                var identity = r.Identity == 0 ? "any" : r.Identity.ToString(System.Globalization.CultureInfo.InvariantCulture);
                text.WriteLine($"{r.Direction,-10}{identity,10}  {r.Protocol,-9}{r.Covers,-32}{r.Verdict,-8}{string.Join("; ", r.Rules)}");
            }

            return 0;
        }));
        var policy = new Command("policy", "The live policy map of an endpoint (needs the agent).") { get };

        var ctEndpoint = new Argument<string?>("ENDPOINT") { Arity = ArgumentArity.ZeroOrOne };
        var ctSocket = SocketOption.Create();
        var ctOutput = OutputOption.Create();
        var list = new Command("list", "Show connection tracking: protocol, addresses, ports or echo identifier, state and lifetime left.") { ctEndpoint, ctSocket, ctOutput };
        list.SetAction(parse => AgentCall.Run(parse.GetValue(ctSocket), stderr, async client =>
        {
            var rows = await client.ConntrackAsync(parse.GetValue(ctEndpoint));
            if (OutputOption.Parse(parse.GetValue(ctOutput)!) == OutputFormat.Json)
            {
                AgentCall.WriteJson(stdout, rows, ApiJsonContext.Default.ListConntrackEntryInfo);
                return 0;
            }

            var text = new TerminalSafeWriter(stdout);
            text.WriteLine($"{"ENDPOINT",-16}{"DIRECTION",-10}{"PROTOCOL",-9}{"SOURCE",-26}{"DESTINATION",-26}{"PORTS",-18}{"STATE",-12}LEFT");
            foreach (var r in rows)
            {
                text.WriteLine($"{r.Endpoint ?? "?",-16}{r.Direction,-10}{r.Protocol,-9}{r.Source,-26}{r.Destination,-26}{r.Ports,-18}{r.State,-12}{r.SecondsLeft:0} s");
            }

            return 0;
        }));
        var ct = new Command("ct", "The live connection tracking table (needs the agent).") { list };

        var ipSocket = SocketOption.Create();
        var ipOutput = OutputOption.Create();
        var ipList = new Command("list", "Show the kernel's ipcache: each prefix, the identity its addresses get, and that identity's labels.") { ipSocket, ipOutput };
        ipList.SetAction(parse => AgentCall.Run(parse.GetValue(ipSocket), stderr, async client =>
        {
            var rows = await client.IpcacheAsync();
            if (OutputOption.Parse(parse.GetValue(ipOutput)!) == OutputFormat.Json)
            {
                AgentCall.WriteJson(stdout, rows, ApiJsonContext.Default.ListIpcacheEntryInfo);
                return 0;
            }

            var text = new TerminalSafeWriter(stdout);
            text.WriteLine($"{"PREFIX",-44}{"IDENTITY",10}  LABELS");
            foreach (var r in rows)
            {
                text.WriteLine($"{r.Prefix,-44}{r.Identity,10}  {(r.Labels.Count == 0 ? "(unknown to the agent)" : string.Join(",", r.Labels))}");
            }

            return 0;
        }));
        var ipcache = new Command("ipcache", "The live ipcache, which gives every packet's peer its identity (needs the agent).") { ipList };
        return [policy, ct, ipcache];
    }
}
