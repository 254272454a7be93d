using System.CommandLine;
using Membrane.Api;
using Membrane.Cli.Output;

namespace Membrane.Cli.Commands.Agent;

/// <summary><c>membrane status</c>: the agent's health, endpoints, policy revision and attach mode.</summary>
public static class StatusCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var socket = SocketOption.Create();
        var output = OutputOption.Create();
        var command = new Command("status", "Show the agent's health, its endpoints, the policy revision, how its programs are attached, and the datapath's counters.") { socket, output };
        command.SetAction(parse => AgentCall.Run(parse.GetValue(socket), stderr, async client =>
        {
            var status = await client.StatusAsync();
            if (OutputOption.Parse(parse.GetValue(output)!) == OutputFormat.Json)
            {
                AgentCall.WriteJson(stdout, status, ApiJsonContext.Default.StatusResponse);
                return 0;
            }

            var text = new TerminalSafeWriter(stdout);
            text.WriteLine($"health:          {status.Health}");
            text.WriteLine($"node:            {status.Node}");
            text.WriteLine($"endpoints:       {status.Endpoints}");
            text.WriteLine($"policy revision: {status.PolicyRevision}");
            text.WriteLine($"attach mode:     {status.AttachMode ?? "(no endpoint yet)"}");
            text.WriteLine($"forwarded:       {status.Forwarded} packets");
            text.WriteLine($"dropped:         {(status.Drops is { Count: > 0 } drops ? string.Join(", ", drops.OrderByDescending(d => d.Value).Select(d => $"{d.Value} {d.Key.Replace('_', ' ')}")) : "none")}");
            text.WriteLine($"events:          {status.EventsSuppressed} suppressed by the rate limit, {status.EventsLost} lost");
            text.WriteLine($"conntrack:       {status.ConntrackEntries} entries");
            if (status.PolicyMap is { } policyMap)
            {
                text.WriteLine($"policy map:      {policyMap.Entries} of {policyMap.Capacity} entries");
            }

            if (status.Pins is { } pins)
            {
                text.WriteLine($"pins:            {pins.State}" + (pins.Repinned > 0 ? $" ({pins.Repinned} removed from outside and pinned again since the agent started, last at {pins.LastRepinned:u})" : ""));
                foreach (var problem in pins.Problems)
                {
                    text.WriteLine($"  cannot pin:    {problem}");
                }
            }

            return status.Health == "ok" ? 0 : 1;
        }));
        return command;
    }
}
