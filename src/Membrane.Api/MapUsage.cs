namespace Membrane.Api;

/// <summary>How full a datapath map is: entries in use, and the most it holds.</summary>
public sealed record MapUsage(long Entries, long Capacity);
