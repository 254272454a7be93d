using System.CommandLine;
using Membrane.Api;
using Membrane.Cli.Output;

namespace Membrane.Cli.Commands.Agent;

/// <summary>
/// <c>membrane monitor</c>: the datapath's events as they happen, with the endpoints' names and labels, filtered by
/// type, verdict, protocol, ICMP type (which Hubble cannot filter on) and labels; text by default, Hubble's flow JSON
/// with <c>-o json</c>. Counts of events the rate limit suppressed are always shown.
/// </summary>
public static class MonitorCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var type = new Option<string?>("--type") { Description = "Only drop or policy-verdict events." };
        type.AcceptOnlyFromAmong(MonitorEvent.TypeDrop, MonitorEvent.TypePolicyVerdict);
        var verdict = new Option<string?>("--verdict") { Description = "Only DROPPED or FORWARDED." };
        var protocol = new Option<string?>("--protocol") { Description = "Only icmp, icmpv6, tcp, udp or sctp." };
        protocol.AcceptOnlyFromAmong("icmp", "icmpv4", "icmpv6", "tcp", "udp", "sctp");
        var icmpType = new Option<string?>("--icmp-type") { Description = "Only this ICMP type, by name (EchoRequest) or number." };
        var fromLabel = new Option<string[]>("--from-label") { Description = "Only events whose source has this label (k8s:app=web); repeatable.", AllowMultipleArgumentsPerToken = true };
        var toLabel = new Option<string[]>("--to-label") { Description = "Only events whose destination has this label; repeatable.", AllowMultipleArgumentsPerToken = true };
        var count = new Option<int?>("--count") { Description = "Stop after this many events." };
        var socket = SocketOption.Create();
        var output = OutputOption.Create();
        var command = new Command("monitor", "Stream the datapath's events: drops and, when enabled, passed new flows.")
        {
            type, verdict, protocol, icmpType, fromLabel, toLabel, count, socket, output,
        };
        command.SetAction((parse, cancellation) =>
        {
            var filter = new MonitorFilter(parse.GetValue(type), parse.GetValue(verdict), parse.GetValue(protocol), parse.GetValue(icmpType),
                parse.GetValue(fromLabel) ?? [], parse.GetValue(toLabel) ?? []);
            var json = OutputOption.Parse(parse.GetValue(output)!) == OutputFormat.Json;
            var limit = parse.GetValue(count);
            if (limit is < 1)
            {
                stderr.WriteLine("membrane: --count must be at least 1");
                return Task.FromResult(MembraneCommand.UsageError);
            }

            return Task.FromResult(AgentCall.Run(parse.GetValue(socket), stderr, async client =>
            {
                var shown = 0;
                try
                {
                    await foreach (var monitored in client.MonitorAsync(cancellation))
                    {
                        if (!filter.Matches(monitored))
                        {
                            continue;
                        }

                        stdout.WriteLine(json ? HubbleFlowWriter.Line(monitored) : TerminalText.Escape(Text(monitored)));
                        stdout.Flush();
                        if (monitored.Type != MonitorEvent.TypeSuppressed && ++shown == limit)
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }

                return 0;
            }));
        });
        return command;
    }

    private static string Text(MonitorEvent e) => e.Type == MonitorEvent.TypeSuppressed ? $"SUPPRESSED {e.Summary}" : e.Summary;
}
