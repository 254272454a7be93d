using Membrane.Api;

namespace Membrane.Cli.Commands.Agent;

/// <summary>
/// One call to the agent from a command: the client, and an agent error as one line on standard error: exit 1 when the
/// agent refused the change because it does not fit in its maps (507: the request is too large as it is, as an invalid
/// policy is), else exit 2.
/// </summary>
public static class AgentCall
{
    public static int Run(string? socket, TextWriter stderr, Func<AgentClient, Task<int>> call)
    {
        using var client = new AgentClient(socket);
        try
        {
            return call(client).GetAwaiter().GetResult();
        }
        catch (AgentApiException e)
        {
            stderr.WriteLine($"membrane: {Output.TerminalText.Escape(e.Message)}");
            return e.Status == 507 ? 1 : MembraneCommand.UsageError;
        }
    }

    public static void WriteJson<T>(TextWriter stdout, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        stdout.WriteLine(System.Text.Json.JsonSerializer.Serialize(value, type));
}
