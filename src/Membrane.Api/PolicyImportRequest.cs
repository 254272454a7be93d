namespace Membrane.Api;

/// <summary>
/// <c>POST /v1/policies</c>: files validated together and applied together, or not at all. Rules that need what
/// Membrane cannot enforce are refused unless <see cref="AllowL4Only"/>.
/// </summary>
public sealed record PolicyImportRequest(IReadOnlyList<PolicyFile> Files, bool AllowL4Only = false);
