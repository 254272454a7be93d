namespace Membrane.Policy.Icmp;

/// <summary>
/// What Membrane knows of one ICMP type: its Cilium name, its nftables name, the codes the RFCs
/// define for it, and names for some of those codes.
/// </summary>
public sealed record IcmpTypeInfo(
    IcmpFamily Family,
    byte Type,
    string? CiliumName,
    string? NftName,
    IReadOnlyList<IcmpCodeRange> DefinedCodes,
    IReadOnlyDictionary<string, byte> CodeNames)
{
    /// <summary>For messages: <c>EchoRequest (8)</c>.</summary>
    public string Display => $"{CiliumName ?? NftName ?? "type"} ({Type})";

    public bool DefinesCode(byte code) => DefinedCodes.Any(r => r.Contains(code));
}
