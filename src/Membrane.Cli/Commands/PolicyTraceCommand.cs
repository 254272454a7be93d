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
        var files = new Option<string[]>("--file", "-f") { Description = "Policy files or directories (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
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
        foreach (var option in new Option[] { files, src, dst, srcIp, dstIp, dport, icmp, identities, output, maxInputSize })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => Execute(new TraceRequest(
            parse.GetValue(files)!, parse.GetValue(src), parse.GetValue(dst), parse.GetValue(srcIp), parse.GetValue(dstIp),
            parse.GetValue(dport), parse.GetValue(icmp), parse.GetValue(identities)), OutputOption.Parse(parse.GetValue(output)!),
            PolicyInputs.Options(parse.GetValue(maxInputSize), stdin), stdout, stderr));
        return command;
    }

    public static int Execute(TraceRequest request, OutputFormat format, InputOptions inputOptions, TextWriter stdout, TextWriter stderr)
    {
        L4Spec l4;
        IPAddress? srcAddress, dstAddress;
        LabelSet? srcLabels, dstLabels;
        try
        {
            if ((request.Port is null) == (request.Icmp is null))
            {
                throw new FormatException("give exactly one of --dport PORT/PROTOCOL and --icmp TYPE[/CODE][/FAMILY]");
            }

            l4 = request.Port is not null ? ParseOption(request.Port, "--dport", L4Spec.ParsePort) : ParseOption(request.Icmp!, "--icmp", L4Spec.ParseIcmp);
            srcLabels = EngineInputs.ParseLabels(request.Source, "--src");
            dstLabels = EngineInputs.ParseLabels(request.Destination, "--dst");
            srcAddress = ParseAddress(request.SourceIp, "--src-ip");
            dstAddress = ParseAddress(request.DestinationIp, "--dst-ip");
            if (srcLabels is null && srcAddress is null || dstLabels is null && dstAddress is null)
            {
                throw new FormatException("name the source with --src or --src-ip, and the destination with --dst or --dst-ip");
            }
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
        var (source, sourceSeen) = inputs.Side(srcLabels, srcAddress, "--src", "--src-ip", "the destination's ingress", notes);
        var (destination, destinationSeen) = inputs.Side(dstLabels, dstAddress, "--dst", "--dst-ip", "the source's egress", notes);
        var result = inputs.Service.Trace(source, destination, l4, sourceSeen, destinationSeen) with
        {
            SourceAddress = srcAddress,
            DestinationAddress = dstAddress,
            Notes = notes,
        };
        if (format == OutputFormat.Json)
        {
            TraceJsonWriter.Write(result, stdout);
        }
        else
        {
            TraceTextWriter.Write(result, new TerminalSafeWriter(stdout));
        }

        return 0;
    }

    private static L4Spec ParseOption(string text, string option, Func<string, L4Spec> parse)
    {
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{option}: {e.Message}", e);
        }
    }

    /// <summary>An address as Go's netip reads it, which Cilium uses: no 10.1, no 010.0.0.1, no brackets or zones.</summary>
    private static IPAddress? ParseAddress(string? text, string option) =>
        text is null ? null : IpAddressText.TryParse(text, out var address, out var error) ? address : throw new FormatException($"{option}: \"{text}\" is not an IP address: {error}");
}
