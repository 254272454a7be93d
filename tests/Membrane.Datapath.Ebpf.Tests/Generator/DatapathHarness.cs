using System.Net;
using Membrane.Bpf.Programs;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Datapath.Ebpf.Tests.Loading;
using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Ebpf.Tests.Generator;

/// <summary>
/// A loaded datapath with one endpoint on ifindex 1 (lo, which BPF_PROG_TEST_RUN accepts without a device lookup),
/// and test runs that pass a <see cref="SkBuff"/> in and read the reason and the peer identity back from cb[0] and
/// cb[1].
/// </summary>
internal sealed class DatapathHarness : IDisposable
{
    public const uint Ifindex = 1;
    public const uint EndpointId = 7;
    public const uint EndpointIdentity = 100;

    /// <summary>The endpoint's own addresses, the sources its egress packets must carry (the tests' Endpoint constants).</summary>
    public const string EndpointIPv4 = "10.0.0.1";
    public const string EndpointIPv6 = "fd00::1";

    public DatapathHarness(uint endpointFlags = 0, bool withEndpoint = true, DatapathConfig? config = null, int? eventRingBytes = null)
    {
        Datapath = DatapathLoader.Load(TestDatapath.SmallMaps with
        {
            Config = config ?? DatapathConfig.Default,
            EventRingBytes = eventRingBytes ?? TestDatapath.SmallMaps.EventRingBytes,
        });
        PolicyId = EndpointConfig.PolicyIdOf(EndpointId, 0);
        if (withEndpoint)
        {
            Datapath.SetEndpoint(Ifindex, new EndpointConfig { EndpointId = EndpointId, Identity = EndpointIdentity, PolicyId = PolicyId, Flags = endpointFlags }
                .WithAddresses(IPAddress.Parse(EndpointIPv4), IPAddress.Parse(EndpointIPv6)));
        }
    }

    public LoadedDatapath Datapath { get; }

    public uint PolicyId { get; }

    public static ulong Now => (ulong)(System.Diagnostics.Stopwatch.GetTimestamp() * (1_000_000_000.0 / System.Diagnostics.Stopwatch.Frequency));

    /// <summary>Runs the program enforcing <paramref name="direction"/> on <paramref name="frame"/>.</summary>
    public Outcome Run(byte direction, byte[] frame)
    {
        var context = new SkBuff { Ifindex = Ifindex };
        var result = Datapath.Program(direction).TestRun(frame, Span<byte>.Empty, ref context);
        unsafe
        {
            return new Outcome((VerdictReason)context.Cb[0], context.Cb[1], result.ReturnValue);
        }
    }

    public Outcome Egress(byte[] frame) => Run(DatapathConstants.DirectionEgress, frame);

    public Outcome Ingress(byte[] frame) => Run(DatapathConstants.DirectionIngress, frame);

    public void SetIdentity(string address, uint identity)
    {
        var ip = IPAddress.Parse(address);
        var family = IpAddress16.FamilyOf(ip);
        Datapath.SetIpcache(family, IpAddress16.From(ip), family == DatapathConstants.FamilyIPv4 ? 32 : 128, identity);
    }

    /// <summary>An entry for one protocol and one exact value (port, or ICMP type and code), or every value.</summary>
    public void SetPolicy(uint identity, byte direction, byte protocol, ushort? value, bool deny = false, uint cookie = 1)
    {
        var key = PolicyMapKey.Lookup(PolicyId, identity, direction, protocol, value ?? 0);
        key.PrefixLength = (uint)(value is null ? DatapathConstants.PolicyProtocolPrefix : DatapathConstants.PolicyKeyBits);
        new KernelPolicyMapTarget(Datapath).UpsertPolicy(key, new PolicyMapValue
        {
            Cookie = cookie,
            Flags = deny ? PolicyMapValue.FlagDeny : (byte)0,
            PrefixLengthOfValue = (byte)(value is null ? 0 : 16),
        });
    }

    public static ConntrackKey FlowKey(string source, string destination, ushort sourcePort, ushort destinationPort, byte protocol, byte direction)
    {
        var src = IPAddress.Parse(source);
        return new ConntrackKey
        {
            Source = IpAddress16.From(src),
            Destination = IpAddress16.From(IPAddress.Parse(destination)),
            SourcePort = sourcePort,
            DestinationPort = destinationPort,
            EndpointId = EndpointId,
            Protocol = protocol,
            Family = IpAddress16.FamilyOf(src),
            Direction = direction,
        };
    }

    public void Dispose() => Datapath.Dispose();

    internal readonly record struct Outcome(VerdictReason Reason, uint PeerIdentity, uint ReturnValue);
}
