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

    // A case that enters conntrack runs once per packet, at most this many times a round.
    private const int PerPacketCalls = 10_000;

    private const uint Ifindex = 1; // BPF_PROG_TEST_RUN's device: loopback
    private const uint EndpointIdentity = 300;
    private const uint PeerIdentity = 301;
    private const ushort AllowedPort = 80;
    private const ushort DeniedPort = 23;
    private static readonly IPAddress Endpoint = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress Peer = IPAddress.Parse("10.0.1.1");

    /// <summary>
    /// Runs every case at every size. The four sizes are four loaded datapaths side by side, and each case is measured
    /// in <paramref name="rounds"/> rounds that visit them in turn, so that drift of the machine falls on all four
    /// alike; each figure is the median of its rounds, each round averaging <paramref name="packets"/> packets.
    /// </summary>
    public static IReadOnlyList<DatapathBenchmarkResult> Run(int packets = 100_000, IProgress<string>? progress = null, int rounds = 5)
    {
        using var empty = BpfProgram.Load(new ProgramSpec("mbr_return", ProgramType.SchedCls,
            [AluOperation.Mov.Imm(Register.R0, DatapathConstants.ActionPass), Instruction.Exit()]));
        var setups = new List<(int Policy, int Ipcache, LoadedDatapath Datapath)>();
        try
        {
            foreach (var policyEntries in Sizes)
            {
                foreach (var ipcacheEntries in Sizes)
                {
                    progress?.Report($"loading and filling: {policyEntries} policy entries, {ipcacheEntries} ipcache entries");
                    var datapath = DatapathLoader.Load(new DatapathLoaderOptions
                    {
                        PolicyEntries = 2 * policyEntries + 64,
                        IpcacheEntries = ipcacheEntries + 64,
                        ConntrackEntries = 2 * rounds * Math.Min(packets, PerPacketCalls) + 1024,
                        FragmentEntries = 64,
                        Endpoints = 16,
                    });
                    setups.Add((policyEntries, ipcacheEntries, datapath));
                    Fill(datapath, new KernelPolicyMapTarget(datapath), policyEntries, ipcacheEntries);
                }
            }

            var samples = setups.ToDictionary(s => s, _ => Cases.ToDictionary(c => c, _ => new List<double>()));
            var port = (ushort)1024;
            var echoId = (ushort)1;
            for (var round = 0; round < rounds; round++)
            {
                progress?.Report($"round {round + 1} of {rounds}");
                foreach (var setup in setups)
                {
                    var ingress = setup.Datapath.ToEndpoint;
                    var egress = setup.Datapath.FromEndpoint;
                    var figures = samples[setup];
                    figures["return"].Add(Repeated(empty, Tcp(40000, AllowedPort, PacketBuilder.TcpAck), packets));

                    Once(ingress, Tcp(40001, AllowedPort, PacketBuilder.TcpSyn));
                    figures["established"].Add(Repeated(ingress, Tcp(40001, AllowedPort, PacketBuilder.TcpAck), packets));

                    figures["new-allowed"].Add(PerPacket(ingress, packets,
                        () => Tcp(port = port == ushort.MaxValue ? (ushort)1024 : (ushort)(port + 1), AllowedPort, PacketBuilder.TcpSyn)));

                    figures["denied"].Add(Repeated(ingress, Tcp(40002, DeniedPort, PacketBuilder.TcpSyn), packets));

                    figures["icmp-echo-request"].Add(PerPacket(ingress, packets,
                        () => PacketBuilder.Between(Peer, Endpoint).EchoRequest(echoId = echoId == ushort.MaxValue ? (ushort)1 : (ushort)(echoId + 1)).Build()));

                    // The reply to an echo request the endpoint sent: the egress program tracks the request first.
                    Once(egress, PacketBuilder.Between(Endpoint, Peer).EchoRequest(7).Build());
                    figures["icmp-echo-reply"].Add(Repeated(ingress, PacketBuilder.Between(Peer, Endpoint).EchoReply(7).Build(), packets));
                }
            }

            return [.. setups.SelectMany(setup => Cases.Select(c => new DatapathBenchmarkResult(c, setup.Policy, setup.Ipcache, Median(samples[setup][c]))))];
        }
        finally
        {
            setups.ForEach(s => s.Datapath.Dispose());
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
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
        var calls = Math.Min(packets, PerPacketCalls);
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
    /// Fills a freshly loaded datapath. The endpoint's policy: TCP/80 and echo requests from the peer, a deny for
    /// TCP/23, and filler entries for other identities and ports up to <paramref name="policyEntries"/>; the ipcache:
    /// the peer, the endpoint and filler host prefixes.
    /// </summary>
    private static void Fill(LoadedDatapath datapath, KernelPolicyMapTarget target, int policyEntries, int ipcacheEntries)
    {
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
        new PolicyBufferWriter(Ifindex, new EndpointConfig { EndpointId = 1, Identity = EndpointIdentity }.WithAddresses(Endpoint, null), new PolicyCookieTable()).Apply(state, target);

        datapath.Ipcache.Update(IpcacheKey.Host(Peer), new IpcacheValue { Identity = PeerIdentity });
        datapath.Ipcache.Update(IpcacheKey.Host(Endpoint), new IpcacheValue { Identity = EndpointIdentity });
        for (var i = 2; i < ipcacheEntries; i++)
        {
            var address = new IPAddress([11, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);
            datapath.Ipcache.Update(IpcacheKey.Host(address), new IpcacheValue { Identity = (uint)(1000 + i) });
        }
    }
}
