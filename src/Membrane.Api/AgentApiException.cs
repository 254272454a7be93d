namespace Membrane.Api;

/// <summary>The agent refused a call (its <see cref="ApiProblem"/>), or could not be reached at all.</summary>
public sealed class AgentApiException(string message, int? status = null, Exception? inner = null, string? problemType = null) : Exception(message, inner)
{
    /// <summary>The HTTP status the agent answered with; null when it was not reached.</summary>
    public int? Status { get; } = status;

    /// <summary>The kind of problem the agent named (<see cref="ApiProblem.Type"/>); null when it named none.</summary>
    public string? ProblemType { get; } = problemType;
}
