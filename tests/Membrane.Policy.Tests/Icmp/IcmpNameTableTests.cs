using Membrane.Policy.Diagnostics;
using Membrane.Policy.Icmp;
using Membrane.Policy.Model;

namespace Membrane.Policy.Tests.Icmp;

/// <summary>
/// Every ICMP name of both families resolves to its number. The expected numbers are written out
/// here from ICMP.md and the IANA registries, independently of the table under test.
/// </summary>
public sealed class IcmpNameTableTests
{
    public static TheoryData<string, string, int> Names => new()
    {
        // Cilium names, IPv4
        { "IPv4", "EchoReply", 0 }, { "IPv4", "DestinationUnreachable", 3 }, { "IPv4", "Redirect", 5 },
        { "IPv4", "Echo", 8 }, { "IPv4", "EchoRequest", 8 }, { "IPv4", "RouterAdvertisement", 9 },
        { "IPv4", "RouterSelection", 10 }, { "IPv4", "TimeExceeded", 11 }, { "IPv4", "ParameterProblem", 12 },
        { "IPv4", "Timestamp", 13 }, { "IPv4", "TimestampReply", 14 }, { "IPv4", "Photuris", 40 },
        { "IPv4", "ExtendedEchoRequest", 42 }, { "IPv4", "ExtendedEchoReply", 43 },
        // Cilium names, IPv6
        { "IPv6", "DestinationUnreachable", 1 }, { "IPv6", "PacketTooBig", 2 }, { "IPv6", "TimeExceeded", 3 },
        { "IPv6", "ParameterProblem", 4 }, { "IPv6", "EchoRequest", 128 }, { "IPv6", "EchoReply", 129 },
        { "IPv6", "MulticastListenerQuery", 130 }, { "IPv6", "MulticastListenerReport", 131 }, { "IPv6", "MulticastListenerDone", 132 },
        { "IPv6", "RouterSolicitation", 133 }, { "IPv6", "RouterAdvertisement", 134 }, { "IPv6", "NeighborSolicitation", 135 },
        { "IPv6", "NeighborAdvertisement", 136 }, { "IPv6", "RedirectMessage", 137 }, { "IPv6", "RouterRenumbering", 138 },
        { "IPv6", "ICMPNodeInformationQuery", 139 }, { "IPv6", "ICMPNodeInformationResponse", 140 },
        { "IPv6", "InverseNeighborDiscoverySolicitation", 141 }, { "IPv6", "InverseNeighborDiscoveryAdvertisement", 142 },
        { "IPv6", "HomeAgentAddressDiscoveryRequest", 144 }, { "IPv6", "HomeAgentAddressDiscoveryReply", 145 },
        { "IPv6", "MobilePrefixSolicitation", 146 }, { "IPv6", "MobilePrefixAdvertisement", 147 },
        { "IPv6", "DuplicateAddressRequestCodeSuffix", 157 }, { "IPv6", "DuplicateAddressConfirmationCodeSuffix", 158 },
        { "IPv6", "ExtendedEchoRequest", 160 }, { "IPv6", "ExtendedEchoReply", 161 },
        // nftables names, IPv4
        { "IPv4", "echo-reply", 0 }, { "IPv4", "destination-unreachable", 3 }, { "IPv4", "source-quench", 4 },
        { "IPv4", "redirect", 5 }, { "IPv4", "echo-request", 8 }, { "IPv4", "router-advertisement", 9 },
        { "IPv4", "router-solicitation", 10 }, { "IPv4", "time-exceeded", 11 }, { "IPv4", "parameter-problem", 12 },
        { "IPv4", "timestamp-request", 13 }, { "IPv4", "timestamp-reply", 14 }, { "IPv4", "info-request", 15 },
        { "IPv4", "info-reply", 16 }, { "IPv4", "address-mask-request", 17 }, { "IPv4", "address-mask-reply", 18 },
        // nftables names, IPv6
        { "IPv6", "destination-unreachable", 1 }, { "IPv6", "packet-too-big", 2 }, { "IPv6", "time-exceeded", 3 },
        { "IPv6", "parameter-problem", 4 }, { "IPv6", "echo-request", 128 }, { "IPv6", "echo-reply", 129 },
        { "IPv6", "mld-listener-query", 130 }, { "IPv6", "mld-listener-report", 131 }, { "IPv6", "mld-listener-done", 132 },
        { "IPv6", "nd-router-solicit", 133 }, { "IPv6", "nd-router-advert", 134 }, { "IPv6", "nd-neighbor-solicit", 135 },
        { "IPv6", "nd-neighbor-advert", 136 }, { "IPv6", "nd-redirect", 137 }, { "IPv6", "router-renumbering", 138 },
        { "IPv6", "ind-neighbor-solicit", 141 }, { "IPv6", "ind-neighbor-advert", 142 }, { "IPv6", "mld2-listener-report", 143 },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Name_resolves_to_its_number(string family, string name, int expected)
    {
        var errors = new List<FieldError>();
        var match = IcmpFieldResolver.Resolve(Field(family, name), "f", errors);

        Assert.Empty(errors);
        Assert.NotNull(match);
        Assert.Equal(expected, match.Type);
        Assert.Equal(family == "IPv6" ? IcmpFamily.IPv6 : IcmpFamily.IPv4, match.Family);
        Assert.True(match.AllCodes);
    }

    public static TheoryData<string, string, string> WrongFamily => new()
    {
        { "IPv4", "NeighborSolicitation", "NeighborSolicitation is an ICMPv6 type (135); set family: IPv6" },
        { "IPv4", "PacketTooBig", "PacketTooBig is an ICMPv6 type (2); set family: IPv6" },
        { "IPv4", "MulticastListenerQuery", "MulticastListenerQuery is an ICMPv6 type (130); set family: IPv6" },
        { "IPv4", "RouterSolicitation", "RouterSolicitation is an ICMPv6 type (133); set family: IPv6" },
        { "IPv4", "NeighborAdvertisement", "NeighborAdvertisement is an ICMPv6 type (136); set family: IPv6" },
        { "IPv4", "RedirectMessage", "RedirectMessage is an ICMPv6 type (137); set family: IPv6" },
        { "IPv4", "nd-neighbor-solicit", "nd-neighbor-solicit is an ICMPv6 type (135); set family: IPv6" },
        { "IPv4", "mld2-listener-report", "mld2-listener-report is an ICMPv6 type (143); set family: IPv6" },
        { "IPv4", "packet-too-big", "packet-too-big is an ICMPv6 type (2); set family: IPv6" },
        { "IPv6", "Echo", "Echo is an ICMPv4 type (8); set family: IPv4" },
        { "IPv6", "Redirect", "Redirect is an ICMPv4 type (5); set family: IPv4" },
        { "IPv6", "RouterSelection", "RouterSelection is an ICMPv4 type (10); set family: IPv4" },
        { "IPv6", "Timestamp", "Timestamp is an ICMPv4 type (13); set family: IPv4" },
        { "IPv6", "TimestampReply", "TimestampReply is an ICMPv4 type (14); set family: IPv4" },
        { "IPv6", "Photuris", "Photuris is an ICMPv4 type (40); set family: IPv4" },
        { "IPv6", "source-quench", "source-quench is an ICMPv4 type (4); set family: IPv4" },
        { "IPv6", "address-mask-request", "address-mask-request is an ICMPv4 type (17); set family: IPv4" },
        { "IPv6", "timestamp-request", "timestamp-request is an ICMPv4 type (13); set family: IPv4" },
    };

    [Theory]
    [MemberData(nameof(WrongFamily))]
    public void Name_of_the_other_family_names_the_right_one(string family, string name, string message)
    {
        var errors = new List<FieldError>();
        var match = IcmpFieldResolver.Resolve(Field(family, name), "spec.ingress[0].icmps[0].fields[0]", errors);

        Assert.Null(match);
        var error = Assert.Single(errors);
        Assert.Equal(FieldErrorKind.Invalid, error.Kind);
        Assert.Equal("spec.ingress[0].icmps[0].fields[0].type", error.Path);
        Assert.Equal(message, error.Detail);
    }

    [Fact]
    public void Every_table_row_has_a_name_that_resolves_back_to_it()
    {
        foreach (var info in IcmpTypes.All)
        {
            foreach (var name in new[] { info.CiliumName, info.NftName }.OfType<string>())
            {
                Assert.Same(info, IcmpTypes.FindByName(info.Family, name));
            }
        }
    }

    [Theory]
    [InlineData("IPv4", "0", 0)]
    [InlineData("IPv4", "255", 255)]
    [InlineData("IPv6", "128", 128)]
    public void Numeric_types_are_taken_as_they_are(string family, string type, int expected)
    {
        var errors = new List<FieldError>();
        var match = IcmpFieldResolver.Resolve(Field(family, type), "f", errors);
        Assert.Empty(errors);
        Assert.Equal(expected, match!.Type);
    }

    [Fact]
    public void Type_zero_is_echo_reply_and_never_any()
    {
        var match = IcmpFieldResolver.Resolve(Field("IPv4", "0"), "f", new List<FieldError>())!;
        Assert.True(match.Matches(IcmpFamily.IPv4, 0, 0));
        Assert.False(match.Matches(IcmpFamily.IPv4, 8, 0));
        Assert.False(match.Matches(IcmpFamily.IPv4, 3, 4));
    }

    [Theory]
    [InlineData("IPv4", "3", "frag-needed", 4, 4)]
    [InlineData("IPv4", "DestinationUnreachable", "admin-prohibited", 13, 13)]
    [InlineData("IPv4", "3", "0-4", 0, 4)]
    [InlineData("IPv4", "11", "1", 1, 1)]
    [InlineData("IPv6", "DestinationUnreachable", "admin-prohibited", 1, 1)]
    [InlineData("IPv6", "1", "reject-route", 6, 6)]
    public void Codes_are_numbers_ranges_or_names(string family, string type, string code, int low, int high)
    {
        var field = Field(family, type) with { Codes = [Scalar.String(code)] };
        var errors = new List<FieldError>();
        var match = IcmpFieldResolver.Resolve(field, "f", errors);
        Assert.Empty(errors);
        Assert.Equal(new IcmpCodeRange((byte)low, (byte)high), Assert.Single(match!.Codes));
    }

    [Theory]
    [InlineData("IPv4", "8", "frag-needed", "frag-needed is a code of DestinationUnreachable (3), not EchoRequest (8)")]
    [InlineData("IPv6", "128", "frag-needed", "frag-needed is a code of ICMPv4 DestinationUnreachable (3), not ICMPv6 EchoRequest (128)")]
    [InlineData("IPv4", "3", "4-2", "a code range is \"low-high\" with 0 <= low <= high <= 255")]
    [InlineData("IPv4", "3", "256", "an ICMP code is a number from 0 to 255")]
    public void Bad_codes_are_errors(string family, string type, string code, string detail)
    {
        var field = Field(family, type) with { Codes = [Scalar.String(code)] };
        var errors = new List<FieldError>();
        Assert.Null(IcmpFieldResolver.Resolve(field, "f", errors));
        Assert.Equal(detail, Assert.Single(errors).Detail);
    }

    [Theory]
    [InlineData("ipv6", "did you mean \"IPv6\"?")]
    [InlineData("IPv5", "did you mean \"IPv4\"?")]
    public void Unknown_family_is_an_error_with_a_suggestion(string family, string hint)
    {
        var errors = new List<FieldError>();
        Assert.Null(IcmpFieldResolver.Resolve(Field(family, "8"), "f", errors));
        var error = Assert.Single(errors);
        Assert.Equal(FieldErrorKind.NotSupported, error.Kind);
        Assert.Equal("f.family", error.Path);
        Assert.Equal(hint, error.Hint);
    }

    [Fact]
    public void A_near_miss_name_gets_a_suggestion()
    {
        var errors = new List<FieldError>();
        IcmpFieldResolver.Resolve(Field("IPv4", "EchoRequst"), "f", errors);
        Assert.Equal("did you mean \"EchoRequest\"?", Assert.Single(errors).Hint);
    }

    private static IcmpField Field(string family, string type) => new()
    {
        Family = Scalar.String(family),
        Type = type.All(char.IsAsciiDigit) ? new Scalar(type, Source.ScalarKind.Number, default) : Scalar.String(type),
    };
}
