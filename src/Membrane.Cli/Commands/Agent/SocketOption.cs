using System.CommandLine;
using Membrane.Api;

namespace Membrane.Cli.Commands.Agent;

/// <summary>The shared <c>--socket</c> option of agent-backed commands; without it MEMBRANE_SOCKET, then the default.</summary>
public static class SocketOption
{
    public static Option<string?> Create() => new("--socket")
    {
        Description = $"The agent's API socket (default: ${AgentClient.SocketVariable}, else {AgentClient.DefaultSocket}).",
    };
}
