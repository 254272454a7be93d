namespace Membrane.Api;

/// <summary><c>GET /v1/policies</c>: the repository's revision and its resources.</summary>
public sealed record PolicyListResponse(long Revision, IReadOnlyList<PolicyInfo> Policies);
