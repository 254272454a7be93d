namespace Membrane.Api;

/// <summary><c>POST /v1/policies</c>: files validated together and applied together, or not at all.</summary>
public sealed record PolicyImportRequest(IReadOnlyList<PolicyFile> Files);
