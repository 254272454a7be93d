using System.Collections.Immutable;
using System.Net;
using Membrane.Bpf.Asm;
using Membrane.Bpf.Programs;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Icmp;
using Membrane.Policy.Source;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Ebpf.Benchmarking;

/// <summary>
/// <c>membrane bench datapath</c>: the kernel's own time per packet (BPF_PROG_TEST_RUN's duration) for the generated
/// ingress program, per case, with 10 and 100,000 policy entries and 10 and 100,000 ipcache entries. A case that
/// leaves state behind (a new flow enters conntrack) is run once per packet with a fresh source port or identifier,
/// and the kernel's figure averaged over the calls; the others are run with the kernel's repeat count. Both ways
/// time only the program run, not the syscall. Needs CAP_BPF.
/// </summary>
public static class DatapathBenchmark
{
    public static readonly string[] Cases = ["return", "established", "new-allowed", "denied", "icmp-echo-request", "icmp-echo-reply"];
    public static readonly int[] Sizes = [10, 100_000];

    private const uint Ifindex = 1; // BPF_PROG_TEST_RUN's device: loopback
    private const uint EndpointIdentity = 300;
    private const uint PeerIdentity = 301;
    private const ushort AllowedPort = 80;
    private const ushort DeniedPort = 23;
    private static readonly IPAddress Endpoint = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress Peer = IPAddress.Parse("10.0.1.1");

    /// <summary>Runs every case at every size; <paramref name="packets"/> is how many packets each figure averages.</summary>
    public static IReadOnlyList<DatapathBenchmarkResult> Run(int packets = 100_000, IProgress<string>? progress = null)
    {
        var results = new List<DatapathBenchmarkResult>();
        using var empty = BpfProgram.Load(new ProgramSpec("mbr_return", ProgramType.SchedCls,
            [AluOperation.Mov.Imm(Register.R0, DatapathConstants.ActionPass), Instruction.Exit()]));
        using var datapath = DatapathLoader.Load(new DatapathLoaderOptions
        {
            PolicyEntries = 4 * Sizes.Max(),
            IpcacheEntries = 2 * Sizes.Max(),
            ConntrackEntries = 4 * packets + 1024,
            Endpoints = 16,
        });
        var target = new KernelPolicyMapTarget(datapath);
        foreach (var policyEntries in Sizes)
        {
            foreach (var ipcacheEntries in Sizes)
            {
                progress?.Report($"{policyEntries} policy entries, {ipcacheEntries} ipcache entries");
                Fill(datapath, target, policyEntries, ipcacheEntries);
                var ingress = datapath.ToEndpoint;
                var egress = datapath.FromEndpoint;
                var port = (ushort)1024;
                var echoId = (ushort)1;

                results.Add(new("return", policyEntries, ipcacheEntries, Repeated(empty, Tcp(40000, AllowedPort, PacketBuilder.TcpAck), packets)));

                Once(ingress, Tcp(40001, AllowedPort, PacketBuilder.TcpSyn));
                results.Add(new("established", policyEntries, ipcacheEntries, Repeated(ingress, Tcp(40001, AllowedPort, PacketBuilder.TcpAck), packets)));

                results.Add(new("new-allowed", policyEntries, ipcacheEntries,
                    PerPacket(ingress, packets, () => Tcp(port = port == ushort.MaxValue ? (ushort)1024 : (ushort)(port + 1), AllowedPort, PacketBuilder.TcpSyn))));

                results.Add(new("denied", policyEntries, ipcacheEntries, Repeated(ingress, Tcp(40002, DeniedPort, PacketBuilder.TcpSyn), packets)));

                results.Add(new("icmp-echo-request", policyEntries, ipcacheEntries,
                    PerPacket(ingress, packets, () => PacketBuilder.Between(Peer, Endpoint).EchoRequest(echoId = echoId == ushort.MaxValue ? (ushort)1 : (ushort)(echoId + 1)).Build())));

                // The reply to an echo request the endpoint sent: the egress program tracks the request first.
                Once(egress, PacketBuilder.Between(Endpoint, Peer).EchoRequest(7).Build());
                results.Add(new("icmp-echo-reply", policyEntries, ipcacheEntries, Repeated(ingress, PacketBuilder.Between(Peer, Endpoint).EchoReply(7).Build(), packets)));

                ClearConntrack(datapath);
            }
        }

        return results;
    }

    private static byte[] Tcp(ushort sourcePort, ushort destinationPort, byte flags) =>
        PacketBuilder.Between(Peer, Endpoint).Tcp(sourcePort, destinationPort, flags).Build();

    private static double Repeated(BpfProgram program, byte[] frame, int packets)
    {
        var context = new SkBuff { Ifindex = Ifindex };
        program.TestRun(frame, Span<byte>.Empty, ref context, repeat: 1000); // warm the caches and the entry
        return program.TestRun(frame, Span<byte>.Empty, ref context, repeat: packets).MeanDurationNanoseconds;
    }

    private static double PerPacket(BpfProgram program, int packets, Func<byte[]> next)
    {
        var context = new SkBuff { Ifindex = Ifindex };
        var calls = Math.Min(packets, 20_000);
        double total = 0;
        for (var i = 0; i < calls; i++)
        {
            total += program.TestRun(next(), Span<byte>.Empty, ref context).MeanDurationNanoseconds;
        }

        return total / calls;
    }

    private static void Once(BpfProgram program, byte[] frame)
    {
        var context = new SkBuff { Ifindex = Ifindex };
        program.TestRun(frame, Span<byte>.Empty, ref context);
    }

    /// <summary>
    /// The endpoint's policy: TCP/80 and echo requests from the peer, a deny for TCP/23, and filler entries for other
    /// identities and ports up to <paramref name="policyEntries"/>; the ipcache: the peer and filler host prefixes.
    /// </summary>
    private static void Fill(LoadedDatapath datapath, KernelPolicyMapTarget target, int policyEntries, int ipcacheEntries)
    {
        foreach (var map in new[] { datapath.Policy, datapath.Ipcache })
        {
            ClearMap(map);
        }

        ClearConntrack(datapath);
        var origin = new RuleOrigin("CiliumNetworkPolicy", "default", "bench", "spec.ingress[0]", new SourcePosition("bench.yaml", 1, 1));
        var entries = ImmutableDictionary.CreateBuilder<PolicyKey, PolicyEntry>();
        var allow = new PolicyEntry(Verdict.Allow, [origin]);
        entries[new PolicyKey(TrafficDirection.Ingress, PeerIdentity, IpProtocols.Tcp, AllowedPort, 16)] = allow;
        entries[new PolicyKey(TrafficDirection.Ingress, PeerIdentity, IpProtocols.Icmp, IcmpKeyValue.OfType(DatapathConstants.Icmp4EchoRequest), IcmpKeyValue.TypePrefixLength)] = allow;
        entries[new PolicyKey(TrafficDirection.Ingress, PeerIdentity, IpProtocols.Tcp, DeniedPort, 16)] = new PolicyEntry(Verdict.Deny, [origin]);
        var random = new Random(1);
        while (entries.Count < policyEntries)
        {
            entries[new PolicyKey(TrafficDirection.Ingress, (uint)random.Next(1000, 1_000_000), IpProtocols.Tcp, (ushort)random.Next(1, 65536), 16)] = allow;
        }

        var state = new EndpointMapState(entries.ToImmutable(), [origin], []);
        new PolicyBufferWriter(Ifindex, new EndpointConfig { EndpointId = 1, Identity = EndpointIdentity }, new PolicyCookieTable()).Apply(state, target);

        datapath.Ipcache.Update(IpcacheKey.Of(DatapathConstants.FamilyIPv4, IpAddress16.From(Peer), 32), new IpcacheValue { Identity = PeerIdentity });
        datapath.Ipcache.Update(IpcacheKey.Of(DatapathConstants.FamilyIPv4, IpAddress16.From(Endpoint), 32), new IpcacheValue { Identity = EndpointIdentity });
        for (var i = 2; i < ipcacheEntries; i++)
        {
            var address = new IPAddress([11, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);
            datapath.Ipcache.Update(IpcacheKey.Of(DatapathConstants.FamilyIPv4, IpAddress16.From(address), 32), new IpcacheValue { Identity = (uint)(1000 + i) });
        }
    }

    private static void ClearConntrack(LoadedDatapath datapath)
    {
        ClearMap(datapath.Conntrack);
        ClearMap(datapath.Fragments);
    }

    private static void ClearMap(Membrane.Bpf.Maps.BpfMap map)
    {
        var keys = new List<byte[]>();
        var key = new byte[map.Spec.KeySize];
        var next = new byte[map.Spec.KeySize];
        var first = true;
        while (first ? map.TryGetNextKey(ReadOnlySpan<byte>.Empty, next) : map.TryGetNextKey(key, next))
        {
            keys.Add((byte[])next.Clone());
            next.CopyTo(key, 0);
            first = false;
        }

        foreach (var k in keys)
        {
            map.Delete(k);
        }
    }
}
