using Membrane.Datapath.Ebpf.Tests.Loading;
using System.Net;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Programs;
using Membrane.Bpf.RingBuffer;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Datapath.Events;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Writing;

namespace Membrane.Datapath.Ebpf.Tests.Support;

/// <summary>
/// The loaded datapath driven the way the differential and atomicity tests need: one packet through
/// BPF_PROG_TEST_RUN on the loopback device (ifindex 1) with the reason and peer identity read back from
/// <c>skb-&gt;cb</c>, the counters, the next ring-buffer event, and whole-map snapshots of conntrack and fragments.
/// </summary>
internal sealed class KernelRunner : IDisposable
{
    public const uint TestIfindex = 1;

    private readonly RingBufferReader _events;
    private readonly byte[] _eventBuffer = new byte[256];

    public KernelRunner(DatapathLoaderOptions? options = null)
    {
        Datapath = DatapathLoader.Load(options ?? TestDatapath.SmallMaps);
        PolicyTarget = new KernelPolicyMapTarget(Datapath);
        _events = new RingBufferReader(Datapath.Events);
    }

    public LoadedDatapath Datapath { get; }

    public IPolicyMapTarget PolicyTarget { get; }

    public unsafe (uint ReturnValue, uint Reason, uint PeerIdentity) Run(byte[] frame, byte direction)
    {
        var context = new SkBuff { Ifindex = TestIfindex };
        var result = Datapath.Program(direction).TestRun(frame, Span<byte>.Empty, ref context);
        return (result.ReturnValue, context.Cb[0], context.Cb[1]);
    }

    public void SetConfig(in DatapathConfig config) => Datapath.SetConfig(config);

    /// <summary>A counter summed over every CPU.</summary>
    public ulong Counter(int slot)
    {
        Span<ulong> values = stackalloc ulong[BpfMap.PossibleCpuCount];
        return Datapath.Counters.TryLookupPerCpu((uint)slot, values) ? Sum(values) : 0;
    }

    public ulong Counter(VerdictReason reason)
    {
        ulong total = 0;
        for (byte direction = 0; direction < 2; direction++)
        {
            for (var protocol = 0; protocol < DatapathConstants.ProtocolClasses; protocol++)
            {
                total += Counter(ProtocolClassExtensions.CounterSlot(reason, direction, (ProtocolClass)protocol));
            }
        }

        return total;
    }

    /// <summary>The next event in the ring buffer, or null when it is empty.</summary>
    public EventRecord? TakeEvent() =>
        _events.TryRead(_eventBuffer, out var length) && EventDecoder.TryRead(_eventBuffer.AsSpan(0, length), out var record) ? record : null;

    public Dictionary<ConntrackKey, ConntrackEntry> Conntrack() => Datapath.Conntrack.Entries<ConntrackKey, ConntrackEntry>().ToDictionary();

    public Dictionary<FragmentKey, FragmentEntry> Fragments() => Datapath.Fragments.Entries<FragmentKey, FragmentEntry>().ToDictionary();

    /// <summary>Empties conntrack and fragments, so the next world starts with no flows.</summary>
    public void ClearFlows()
    {
        foreach (var key in Datapath.Conntrack.Keys<ConntrackKey>().ToList())
        {
            Datapath.Conntrack.Delete(key);
        }

        foreach (var key in Datapath.Fragments.Keys<FragmentKey>().ToList())
        {
            Datapath.Fragments.Delete(key);
        }
    }

    public void ClearIpcache()
    {
        foreach (var key in Datapath.Ipcache.Keys<IpcacheKey>().ToList())
        {
            Datapath.Ipcache.Delete(key);
        }
    }

    public void ClearPolicy()
    {
        foreach (var key in Datapath.Policy.Keys<PolicyMapKey>().ToList())
        {
            Datapath.Policy.Delete(key);
        }
    }

    public void SetIpcache(IPNetwork prefix, uint identity) =>
        Datapath.Ipcache.Update(
            IpcacheKey.Of(prefix),
            new IpcacheValue { Identity = identity });

    public void Dispose()
    {
        _events.Dispose();
        Datapath.Dispose();
    }

    private static ulong Sum(ReadOnlySpan<ulong> values)
    {
        ulong total = 0;
        foreach (var value in values)
        {
            total += value;
        }

        return total;
    }
}
