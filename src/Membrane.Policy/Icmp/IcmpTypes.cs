namespace Membrane.Policy.Icmp;

using System.Collections.Frozen;

/// <summary>
/// The ICMP and ICMPv6 name tables: Cilium's CamelCase names (all of them, including
/// <c>ExtendedEchoReply</c>) and the lower-case names of nftables. Type numbers are from the IANA
/// registries; defined codes from RFC 792, 1256, 4443, 4861, 4884, 8335 and 8883.
/// </summary>
public static class IcmpTypes
{
    private static readonly FrozenDictionary<string, byte> NoCodes = FrozenDictionary<string, byte>.Empty;

    // RFC 792 destination unreachable codes, as nftables names them.
    private static readonly FrozenDictionary<string, byte> V4UnreachableCodes = new Dictionary<string, byte>
    {
        ["net-unreachable"] = 0,
        ["host-unreachable"] = 1,
        ["prot-unreachable"] = 2,
        ["port-unreachable"] = 3,
        ["frag-needed"] = 4,
        ["net-prohibited"] = 9,
        ["host-prohibited"] = 10,
        ["admin-prohibited"] = 13,
    }.ToFrozenDictionary();

    // RFC 4443 section 3.1 destination unreachable codes, as nftables names them.
    private static readonly FrozenDictionary<string, byte> V6UnreachableCodes = new Dictionary<string, byte>
    {
        ["no-route"] = 0,
        ["admin-prohibited"] = 1,
        ["addr-unreachable"] = 3,
        ["port-unreachable"] = 4,
        ["policy-fail"] = 5,
        ["reject-route"] = 6,
    }.ToFrozenDictionary();

    public static IReadOnlyList<IcmpTypeInfo> All { get; } =
    [
        V4(0, "EchoReply", "echo-reply"),
        V4(3, "DestinationUnreachable", "destination-unreachable", [new(0, 15)], V4UnreachableCodes),
        V4(4, null, "source-quench"),
        V4(5, "Redirect", "redirect", [new(0, 3)]),
        V4(8, "EchoRequest", "echo-request"),
        V4(9, "RouterAdvertisement", "router-advertisement", [new(0, 0), new(16, 16)]),
        V4(10, "RouterSelection", "router-solicitation"),
        V4(11, "TimeExceeded", "time-exceeded", [new(0, 1)]),
        V4(12, "ParameterProblem", "parameter-problem", [new(0, 2)]),
        V4(13, "Timestamp", "timestamp-request"),
        V4(14, "TimestampReply", "timestamp-reply"),
        V4(15, null, "info-request"),
        V4(16, null, "info-reply"),
        V4(17, null, "address-mask-request"),
        V4(18, null, "address-mask-reply"),
        V4(40, "Photuris", null, [new(0, 5)]),
        V4(42, "ExtendedEchoRequest", null),
        V4(43, "ExtendedEchoReply", null, [new(0, 4)]),

        V6(1, "DestinationUnreachable", "destination-unreachable", [new(0, 8)], V6UnreachableCodes),
        V6(2, "PacketTooBig", "packet-too-big"),
        V6(3, "TimeExceeded", "time-exceeded", [new(0, 1)]),
        V6(4, "ParameterProblem", "parameter-problem", [new(0, 10)]),
        V6(128, "EchoRequest", "echo-request"),
        V6(129, "EchoReply", "echo-reply"),
        V6(130, "MulticastListenerQuery", "mld-listener-query"),
        V6(131, "MulticastListenerReport", "mld-listener-report"),
        V6(132, "MulticastListenerDone", "mld-listener-done"),
        V6(133, "RouterSolicitation", "nd-router-solicit"),
        V6(134, "RouterAdvertisement", "nd-router-advert"),
        V6(135, "NeighborSolicitation", "nd-neighbor-solicit"),
        V6(136, "NeighborAdvertisement", "nd-neighbor-advert"),
        V6(137, "RedirectMessage", "nd-redirect"),
        V6(138, "RouterRenumbering", "router-renumbering", [new(0, 1), new(255, 255)]),
        V6(139, "ICMPNodeInformationQuery", null, [new(0, 2)]),
        V6(140, "ICMPNodeInformationResponse", null, [new(0, 2)]),
        V6(141, "InverseNeighborDiscoverySolicitation", "ind-neighbor-solicit"),
        V6(142, "InverseNeighborDiscoveryAdvertisement", "ind-neighbor-advert"),
        V6(143, null, "mld2-listener-report"),
        V6(144, "HomeAgentAddressDiscoveryRequest", null),
        V6(145, "HomeAgentAddressDiscoveryReply", null),
        V6(146, "MobilePrefixSolicitation", null),
        V6(147, "MobilePrefixAdvertisement", null),
        V6(157, "DuplicateAddressRequestCodeSuffix", null, [new(0, 15)]),
        V6(158, "DuplicateAddressConfirmationCodeSuffix", null, [new(0, 15)]),
        V6(160, "ExtendedEchoRequest", null),
        V6(161, "ExtendedEchoReply", null, [new(0, 4)]),
    ];

    // "Echo" is Cilium's older alias for EchoRequest (IPv4 only); it is not a row of its own.
    private static readonly FrozenDictionary<(IcmpFamily, string), IcmpTypeInfo> ByName = All
        .SelectMany(t => new[] { t.CiliumName, t.NftName }.OfType<string>().Select(n => (Key: (t.Family, n), Info: t)))
        .Append(((IcmpFamily.IPv4, "Echo"), All.First(t => t is { Family: IcmpFamily.IPv4, Type: 8 })))
        .ToFrozenDictionary(x => x.Item1, x => x.Item2);

    private static readonly FrozenDictionary<(IcmpFamily, byte), IcmpTypeInfo> ByNumber =
        All.ToFrozenDictionary(t => (t.Family, t.Type));

    /// <summary>Every name accepted for a family, Cilium's and nftables' together.</summary>
    public static IEnumerable<string> NamesOf(IcmpFamily family) =>
        ByName.Keys.Where(k => k.Item1 == family).Select(k => k.Item2);

    public static IcmpTypeInfo? Find(IcmpFamily family, byte type) => ByNumber.GetValueOrDefault((family, type));

    public static IcmpTypeInfo? FindByName(IcmpFamily family, string name) => ByName.GetValueOrDefault((family, name));

    public static IcmpFamily Other(IcmpFamily family) => family == IcmpFamily.IPv4 ? IcmpFamily.IPv6 : IcmpFamily.IPv4;

    /// <summary>A short description of a type for messages: <c>EchoRequest (8)</c> or <c>type 200</c>.</summary>
    public static string Describe(IcmpFamily family, byte type) => Find(family, type)?.Display ?? $"type {type}";

    private static IcmpTypeInfo V4(byte type, string? cilium, string? nft, IcmpCodeRange[]? codes = null, FrozenDictionary<string, byte>? names = null) =>
        new(IcmpFamily.IPv4, type, cilium, nft, codes ?? [new(0, 0)], names ?? NoCodes);

    private static IcmpTypeInfo V6(byte type, string? cilium, string? nft, IcmpCodeRange[]? codes = null, FrozenDictionary<string, byte>? names = null) =>
        new(IcmpFamily.IPv6, type, cilium, nft, codes ?? [new(0, 0)], names ?? NoCodes);
}
