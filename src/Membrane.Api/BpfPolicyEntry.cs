namespace Membrane.Api;

/// <summary>A live policy map entry of one endpoint, decoded (<c>membrane bpf policy get</c>).</summary>
public sealed record BpfPolicyEntry(string Direction, uint Identity, IReadOnlyList<string> IdentityLabels, string Protocol, string Covers, string Verdict, IReadOnlyList<string> Rules);
