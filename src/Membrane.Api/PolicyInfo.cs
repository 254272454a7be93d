namespace Membrane.Api;

/// <summary>A policy resource in the agent's repository.</summary>
public sealed record PolicyInfo(string Kind, string? Namespace, string Name, string File);
