namespace Membrane.Api;

/// <summary>One entry of the kernel's ipcache (<c>GET /v1/ipcache</c>): a prefix, the identity its addresses get, and that identity's labels.</summary>
public sealed record IpcacheEntryInfo(string Prefix, uint Identity, IReadOnlyList<string> Labels);
