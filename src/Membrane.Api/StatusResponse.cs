namespace Membrane.Api;

/// <summary><c>GET /v1/status</c>: the agent's health, what it manages, and how its programs are attached.</summary>
public sealed record StatusResponse(string Health, string Node, int Endpoints, long PolicyRevision, string? AttachMode);
