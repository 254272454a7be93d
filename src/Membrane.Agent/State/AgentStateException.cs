namespace Membrane.Agent.State;

/// <summary>
/// The state directory holds what the agent cannot take back without enforcing less than before (its policies do not
/// read, or no longer validate). The agent then does not start: the kernel keeps enforcing what it last held, and the
/// message says which file and what to do. <c>membrane agent</c> exits with <see cref="ExitCode"/>, which the systemd
/// unit does not restart on.
/// </summary>
public sealed class AgentStateException(string message, Exception? inner = null) : Exception(message, inner)
{
    public const int ExitCode = 3;
}
