using Membrane.Datapath.Layout;
using Membrane.Datapath.Ebpf.Tests.Support;
using static Membrane.Datapath.DatapathConstants;
using static Membrane.Datapath.Ebpf.Tests.Generator.Frames;

namespace Membrane.Datapath.Ebpf.Tests.Generator;

/// <summary>
/// The RFC 4890 §4.4.1 set (docs/datapath.md §6), type by type: each passes before policy with the hop limit its RFC
/// requires and goes to policy with any other; the configuration narrows the set and cannot widen it. The endpoint
/// denies by default, so "goes to policy" shows as denied by default.
/// </summary>
[Collection(DatapathKernelCollection.Name)]
public sealed class AlwaysAllowedTests
{
    public static TheoryData<byte, byte> Set { get; } = new()
    {
        { 133, 255 }, { 134, 255 }, { 135, 255 }, { 136, 255 }, { 141, 255 }, { 142, 255 }, { 148, 255 }, { 149, 255 },
        { 130, 1 }, { 131, 1 }, { 132, 1 }, { 143, 1 }, { 151, 1 }, { 152, 1 }, { 153, 1 },
    };

    private static byte[] Message(byte type, byte hopLimit) =>
        Ethernet(EtherTypeIPv6, IPv6("fe80::2", "ff02::1", IcmpV6, IcmpHeader(type, 0, 0, new byte[24]), hopLimit));

    [Theory]
    [MemberData(nameof(Set))]
    public void A_type_of_the_set_passes_with_its_hop_limit_only(byte type, byte hopLimit)
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagIngressDefaultDeny);
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.NeighbourDiscovery, 0, ActionPass), harness.Ingress(Message(type, hopLimit)));
        var other = hopLimit == 255 ? (byte)1 : (byte)255;
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(Message(type, other)).Reason);
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(Message(type, 64)).Reason);
    }

    [Theory]
    [InlineData(128)] // echo request: policy's business
    [InlineData(137)] // redirect: RFC 4890 leaves it to policy
    [InlineData(144)]
    [InlineData(159)]
    public void A_type_outside_the_set_goes_to_policy_whatever_its_hop_limit(byte type)
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagIngressDefaultDeny);
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(Message(type, 255)).Reason);
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(Message(type, 1)).Reason);
    }

    [Fact]
    public void The_configuration_narrows_the_set_and_cannot_widen_it()
    {
        Root.Require();
        const int neighbourSolicitation = 135 - AlwaysAllowedIcmpV6Base;
        const int redirect = 137 - AlwaysAllowedIcmpV6Base;
        var config = DatapathConfig.Default with
        {
            AlwaysAllowedIcmpV6Types = (AlwaysAllowedIcmpV6Types & ~(1u << neighbourSolicitation)) | (1u << redirect),
        };
        using var harness = new DatapathHarness(EndpointConfig.FlagIngressDefaultDeny, config: config);
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(Message(135, 255)).Reason);
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(Message(137, 255)).Reason);
        Assert.Equal(VerdictReason.NeighbourDiscovery, harness.Ingress(Message(136, 255)).Reason);
    }
}
