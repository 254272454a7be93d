using System.CommandLine;
using System.Net;
using Membrane.Cli.Output;
using Membrane.Policy.Inputs;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Tracing;
using Membrane.Policy.Values;

namespace Membrane.Cli.Commands;

/// <summary>
/// <c>membrane policy trace</c>: would this packet be allowed, and why? It decides the packet at
/// the source's egress and at the destination's ingress, offline, ICMP included.
/// </summary>
public static class PolicyTraceCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, Func<Stream> stdin)
    {
        var files = new Option<string[]>("--file", "-f") { Description = "Policy files or directories (repeatable); or --live.", AllowMultipleArgumentsPerToken = true };
        var live = new Option<bool>("--live") { Description = "Trace against the running agent's policies and identities (through --socket) instead of files." };
        var socket = Agent.SocketOption.Create();
        var src = new Option<string?>("--src") { Description = "Source endpoint labels, e.g. k8s:app=web,k8s:io.kubernetes.pod.namespace=default." };
        var dst = new Option<string?>("--dst") { Description = "Destination endpoint labels." };
        var srcIp = new Option<string?>("--src-ip") { Description = "Source address (IPv4 as four decimal numbers, or IPv6; no brackets or zones); without --src, its identity comes from the IP cache (CIDR or world)." };
        var dstIp = new Option<string?>("--dst-ip") { Description = "Destination address; without --dst, its identity comes from the IP cache." };
        var dport = new Option<string?>("--dport") { Description = "Destination PORT[/PROTOCOL]: a decimal port, protocol TCP, UDP or SCTP (TCP if left out), e.g. 80/TCP." };
        var icmp = new Option<string?>("--icmp") { Description = "ICMP message TYPE[/CODE][/FAMILY], e.g. EchoRequest/IPv6 or 3/4/IPv4." };
        var identities = new Option<string?>("--identities") { Description = "YAML file of the identities the node knows (labels, ips, namedPorts)." };
        var output = OutputOption.Create();
        var maxInputSize = InputSizeOption.Create();

        var command = new Command("trace", "Trace a packet through the policies: the egress decision at the source, the ingress decision at the destination, and why.");
        foreach (var option in new Option[] { files, live, socket, src, dst, srcIp, dstIp, dport, icmp, identities, output, maxInputSize })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var request = new TraceRequest(
                parse.GetValue(files) ?? [], parse.GetValue(src), parse.GetValue(dst), parse.GetValue(srcIp), parse.GetValue(dstIp),
                parse.GetValue(dport), parse.GetValue(icmp), parse.GetValue(identities));
            var format = OutputOption.Parse(parse.GetValue(output)!);
            if (parse.GetValue(live) == (request.Files.Length > 0) || parse.GetValue(live) && request.IdentitiesFile is not null)
            {
                stderr.WriteLine("membrane: trace either files (--file, with --identities if wanted) or the running agent (--live), not both and not neither");
                return MembraneCommand.UsageError;
            }

            // The live trace's query is read by the agent, which answers a bad one with the same message as here.
            return parse.GetValue(live)
                ? Agent.PolicyTraceLive.Run(request, parse.GetValue(socket), format, stdout, stderr)
                : Execute(request, format, PolicyInputs.Options(parse.GetValue(maxInputSize), stdin), stdout, stderr);
        });
        return command;
    }

    public static int Execute(TraceRequest request, OutputFormat format, InputOptions inputOptions, TextWriter stdout, TextWriter stderr)
    {
        TraceQuery query;
        try
        {
            query = TraceQuery.Parse(request.Source, request.Destination, request.SourceIp, request.DestinationIp, request.Port, request.Icmp);
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"membrane: {e.Message}");
            return MembraneCommand.UsageError;
        }

        var inputs = EngineInputs.Load(request.Files, request.IdentitiesFile, inputOptions, stderr, out var exitCode);
        if (inputs is null)
        {
            return exitCode;
        }

        // Labels name the endpoint whose policy applies; an address is what the other side's
        // datapath looks up in the IP cache. Both given and naming different identities, each is
        // used for its own purpose, and a note says so.
        var notes = new List<string>();
        var (source, sourceSeen) = inputs.Side(query.SourceLabels, query.SourceAddress, "--src", "--src-ip", "the destination's ingress", notes);
        var (destination, destinationSeen) = inputs.Side(query.DestinationLabels, query.DestinationAddress, "--dst", "--dst-ip", "the source's egress", notes);
        var result = inputs.Service.Trace(source, destination, query.L4, sourceSeen, destinationSeen) with
        {
            SourceAddress = query.SourceAddress,
            DestinationAddress = query.DestinationAddress,
            Notes = notes,
        };
        Print(Membrane.Api.TraceReports.Of(result), format, stdout);
        return 0;
    }

    internal static void Print(Membrane.Api.TraceReport report, OutputFormat format, TextWriter stdout)
    {
        if (format == OutputFormat.Json)
        {
            TraceJsonWriter.Write(report, stdout);
        }
        else
        {
            TraceTextWriter.Write(report, new TerminalSafeWriter(stdout));
        }
    }
}
