using Membrane.Datapath.Ebpf.Tests.Loading;
using System.Diagnostics;
using System.Text;
using Membrane.Bpf.Programs;
using Membrane.Datapath.Ebpf.Tests.Support;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Twin;
using Membrane.Datapath.Writing;

namespace Membrane.Datapath.Ebpf.Tests.Differential;

/// <summary>
/// The kernel program against its managed twin: random worlds (an endpoint, its peers, a random map state), each with
/// a sequence of random packets that builds up conntrack and fragment state, run through BPF_PROG_TEST_RUN and through
/// <see cref="DatapathTwin"/>. For every packet the verdict, the reason, the peer identity, the counter, the event and
/// the whole conntrack and fragment maps must be the same. A difference fails with the seed (set
/// MEMBRANE_DIFFERENTIAL_SEED to replay it) and the packet in hex.
/// </summary>
[Collection(DatapathKernelCollection.Name)]
public sealed class DifferentialTests(ITestOutputHelper output)
{
    // 250 worlds of 48 packets: 12,000 packets, a few seconds.
    private const int Worlds = 250;
    private const int PacketsPerWorld = 48;

    [Fact]
    public void The_kernel_program_and_the_twin_agree_on_every_packet()
    {
        Root.Require();
        var seed = Environment.GetEnvironmentVariable("MEMBRANE_DIFFERENTIAL_SEED") is { Length: > 0 } text
            ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var random = new Random(seed);
        using var kernel = new KernelRunner(TestDatapath.SmallMaps with { PolicyEntries = 4096, ConntrackEntries = 4096, FragmentEntries = 1024 });
        var config = DatapathConfig.Default with { Flags = DatapathConfig.FlagEmitAllowEvents, EventRate = 1_000_000, EventBurst = 1_000_000 };
        kernel.SetConfig(config);
        var cookies = new PolicyCookieTable();
        var counters = new ulong[DatapathConstants.CounterSlots];
        var packets = 0;
        var reasons = new Dictionary<VerdictReason, int>();
        var (conntrackWrites, fragmentWrites, events) = (0, 0, 0);

        for (var w = 0; w < Worlds; w++)
        {
            var world = new DifferentialWorld(random, endpointId: (uint)(w + 1));
            var twinMaps = new TwinMaps { Config = config };
            var twin = new DatapathTwin(twinMaps);
            kernel.ClearFlows();
            kernel.ClearIpcache();
            kernel.ClearPolicy();
            foreach (var (prefix, identity) in world.Ipcache)
            {
                twinMaps.SetIpcache(prefix, identity);
                kernel.SetIpcache(prefix, identity);
            }

            var writer = new PolicyBufferWriter(DifferentialWorld.Ifindex, world.Endpoint, cookies);
            foreach (var step in writer.Plan(world.State).Steps)
            {
                step.ApplyTo(twinMaps);
                writer.Apply(step, kernel.PolicyTarget);
            }

            // One world in 25 has no endpoint behind the interface: every packet is dropped, fail closed.
            if (w % 25 == 24)
            {
                twinMaps.DeleteEndpoint(DifferentialWorld.Ifindex);
                kernel.PolicyTarget.DeleteEndpoint(DifferentialWorld.Ifindex);
            }

            var sequence = new PacketSequence(random, world);
            var windows = new Dictionary<object, ulong>();
            for (var p = 0; p < PacketsPerWorld; p++, packets++)
            {
                var (frame, direction, what) = sequence.Next();
                var before = (ulong)Stopwatch.GetTimestamp();
                if (ShorterThanItsIpHeader(frame))
                {
                    // BPF_PROG_TEST_RUN refuses an IP frame without its fixed header (EINVAL), so no kernel verdict
                    // exists for it; the twin must call it truncated, as the program would.
                    var skipped = twin.Process(frame, DifferentialWorld.Ifindex, direction, before).Reason;
                    Assert.True(skipped is VerdictReason.Truncated or VerdictReason.UnknownEndpoint, $"a frame shorter than its IP header: {skipped}");
                    p--;
                    packets--;
                    continue;
                }

                var ran = kernel.Run(frame, direction);
                var after = (ulong)Stopwatch.GetTimestamp();
                var expected = twin.Process(frame, DifferentialWorld.Ifindex, direction, before);
                reasons[expected.Reason] = reasons.GetValueOrDefault(expected.Reason) + 1;
                conntrackWrites += expected.ConntrackWrites.Count;
                fragmentWrites += expected.FragmentWrites.Count;
                events += expected.Event is null ? 0 : 1;

                var failures = new List<string>();
                Check(failures, "reason", expected.Reason, (VerdictReason)ran.Reason);
                Check(failures, "action", expected.Passed ? DatapathConstants.ActionPass : DatapathConstants.ActionDrop, (int)ran.ReturnValue);
                Check(failures, "peer identity", expected.PeerIdentity, ran.PeerIdentity);
                counters[expected.CounterSlot]++;
                Check(failures, $"counter {expected.CounterSlot}", counters[expected.CounterSlot], kernel.Counter(expected.CounterSlot));
                CompareEvent(failures, expected, kernel.TakeEvent());
                foreach (var write in expected.ConntrackWrites)
                {
                    windows[write.Key] = after - before;
                }

                foreach (var write in expected.FragmentWrites)
                {
                    windows[write.Key] = after - before;
                }

                CompareMap(failures, "conntrack", twinMaps.Conntrack, kernel.Conntrack(), windows, e => e.ExpiresAt,
                    (t, k) => t.Flags == k.Flags && t.LifetimeSeconds == k.LifetimeSeconds);
                CompareMap(failures, "fragments", twinMaps.Fragments, kernel.Fragments(), windows, e => e.ExpiresAt,
                    (t, k) => t with { ExpiresAt = 0 } == k with { ExpiresAt = 0 });

                if (failures.Count > 0)
                {
                    Assert.Fail(
                        $"the kernel and the twin differ on packet {p} of world {w} (seed {seed}; set MEMBRANE_DIFFERENTIAL_SEED={seed} to replay), " +
                        $"direction {(direction == DatapathConstants.DirectionEgress ? "egress" : "ingress")}, {what}:\n  " +
                        string.Join("\n  ", failures) + $"\nframe: {Convert.ToHexString(frame)}");
                }
            }
        }

        Assert.Equal(Worlds * PacketsPerWorld, packets);
        output.WriteLine($"seed {seed}: {packets} packets, {conntrackWrites} conntrack writes, {fragmentWrites} fragment writes, {events} events");
        foreach (var (reason, count) in reasons.OrderBy(r => r.Key))
        {
            output.WriteLine($"  {reason.Describe(),-32} {count,6}");
        }

        // The sequences must reach every reason, or the test proves less than it says.
        var missing = Enum.GetValues<VerdictReason>().Distinct()
            .Where(r => r is not VerdictReason.None && !reasons.ContainsKey(r)).ToList();
        Assert.True(missing.Count == 0, $"seed {seed}: no packet got {string.Join(", ", missing)}");
    }

    private static bool ShorterThanItsIpHeader(byte[] frame)
    {
        var etherType = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
        var payload = frame.Length - DatapathConstants.EthernetHeaderLength;
        return (etherType == DatapathConstants.EtherTypeIPv4 && payload < DatapathConstants.IPv4MinimumHeaderLength) ||
            (etherType == DatapathConstants.EtherTypeIPv6 && payload < DatapathConstants.IPv6HeaderLength);
    }

    private static void Check<T>(List<string> failures, string what, T twin, T kernel)
    {
        if (!EqualityComparer<T>.Default.Equals(twin, kernel))
        {
            failures.Add($"{what}: twin {twin}, kernel {kernel}");
        }
    }

    private static void CompareEvent(List<string> failures, TwinVerdict expected, EventRecord? actual)
    {
        if (expected.Event is not { } twin)
        {
            if (actual is { } extra)
            {
                failures.Add($"event: twin none, kernel kind {extra.Kind} reason {extra.Reason}");
            }

            return;
        }

        if (actual is not { } kernel)
        {
            failures.Add($"event: twin kind {twin.Kind} reason {twin.Reason}, kernel none");
            return;
        }

        // The timestamp and the packet's own clock differ; everything else is the same record.
        var twinRecord = twin with { Timestamp = 0 };
        var kernelRecord = kernel with { Timestamp = 0 };
        if (!Bytes(twinRecord).SequenceEqual(Bytes(kernelRecord)))
        {
            failures.Add($"event: twin {Convert.ToHexString(Bytes(twinRecord))}\n         kernel {Convert.ToHexString(Bytes(kernelRecord))}");
        }
    }

    private static byte[] Bytes(EventRecord record) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<EventRecord>(ref record)).ToArray();

    private static void CompareMap<TKey, TValue>(
        List<string> failures, string name, IReadOnlyDictionary<TKey, TValue> twin, IReadOnlyDictionary<TKey, TValue> kernel,
        Dictionary<object, ulong> windows, Func<TValue, ulong> expiresAt, Func<TValue, TValue, bool> same)
        where TKey : notnull
    {
        foreach (var (key, value) in twin)
        {
            if (!kernel.TryGetValue(key, out var actual))
            {
                failures.Add($"{name}: {key} in the twin only");
                continue;
            }

            // The kernel stamped the entry at some time between the twin's clock reading and the end of the run.
            var lag = expiresAt(actual) - expiresAt(value);
            if (!same(value, actual) || expiresAt(actual) < expiresAt(value) || lag > windows.GetValueOrDefault((object)key, 0UL))
            {
                failures.Add($"{name}: {key}: twin {value}, kernel {actual}");
            }
        }

        foreach (var key in kernel.Keys.Where(k => !twin.ContainsKey(k)))
        {
            failures.Add($"{name}: {key} in the kernel only");
        }
    }
}
