namespace Membrane.Datapath.Encoding;

/// <summary>One live policy map entry as people read it: direction, peer identity (0 = any), protocol, what of the
/// L4 value it covers (ports, or ICMP types and codes by name), the verdict, and the cookie naming its rules.</summary>
public sealed record PolicyMapRow(string Direction, uint Identity, string Protocol, string Covers, string Verdict, uint Cookie);
