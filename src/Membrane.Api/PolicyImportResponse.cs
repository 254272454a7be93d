namespace Membrane.Api;

/// <summary>What an import did: applied or not (nothing is when anything is invalid), the revision after it, and every finding.</summary>
public sealed record PolicyImportResponse(bool Applied, long Revision, IReadOnlyList<FindingInfo> Findings);
