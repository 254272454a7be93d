using Membrane.Api;
using Membrane.Cli.Output;

namespace Membrane.Cli.Commands.Agent;

/// <summary>
/// <c>membrane policy trace --live</c>: the same trace, decided by the agent against the policies and identities it
/// enforces now, and printed as the offline trace is.
/// </summary>
public static class PolicyTraceLive
{
    public static int Run(TraceRequest request, string? socket, OutputFormat format, TextWriter stdout, TextWriter stderr) =>
        AgentCall.Run(socket, stderr, async client =>
        {
            var report = await client.TraceAsync(new TraceRequestBody(
                request.Source, request.Destination, request.SourceIp, request.DestinationIp, request.Port, request.Icmp));
            PolicyTraceCommand.Print(report, format, stdout);
            return 0;
        });
}
