using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Twin;

/// <summary>
/// The per-packet path of docs/datapath.md §2 in C#: one method per stage, in the order and with the names of the
/// generator's stages, so the two can be read side by side. <see cref="Process"/> mutates <see cref="Maps"/> as the
/// program mutates the kernel's maps (conntrack, fragments, counters, token bucket) and reports what it did.
/// </summary>
public sealed class DatapathTwin(TwinMaps maps)
{
    /// <summary>The identity of an address the ipcache does not know (the engine's reserved world-ipv4 and world-ipv6).</summary>
    public const uint WorldIPv4Identity = 9;
    public const uint WorldIPv6Identity = 10;

    public TwinMaps Maps { get; } = maps;

    public TwinVerdict Process(ReadOnlySpan<byte> frame, uint ifindex, byte direction, ulong now)
    {
        var run = new PacketRun(ifindex, direction, now);
        var reason = Endpoint(run);
        var parsed = false;
        if (reason == VerdictReason.None)
        {
            reason = Parse(frame, run);
            parsed = reason == VerdictReason.None;
        }

        if (reason == VerdictReason.None)
        {
            reason = AlwaysAllowed(run);
        }

        if (reason == VerdictReason.None)
        {
            reason = SourceAddress(run);

            // Decided before step 4, as the program's early verdicts are: no fragment entry for a forged first fragment.
            parsed &= reason == VerdictReason.None;
        }

        if (reason == VerdictReason.None)
        {
            reason = LaterFragment(run);
        }

        if (reason == VerdictReason.None)
        {
            reason = Conntrack(run);
        }

        if (reason == VerdictReason.None)
        {
            Identity(run);
            reason = Policy(run);
        }

        if (parsed)
        {
            Record(run, reason);
        }

        var (slot, record, sent) = Account(run, reason, (uint)frame.Length);
        return new TwinVerdict(reason, run.PeerIdentity, run.DecidedBy, run.PolicyValue, run.Packet, run.ConntrackWrites,
            run.FragmentWrites, record, sent, slot);
    }

    /// <summary>Step 1: the endpoint behind the interface; none is a drop (fail closed).</summary>
    private VerdictReason Endpoint(PacketRun run)
    {
        if (!Maps.Endpoints.TryGetValue(run.Ifindex, out var endpoint))
        {
            return VerdictReason.UnknownEndpoint;
        }

        run.Endpoint = endpoint;
        return VerdictReason.None;
    }

    /// <summary>Step 2: <see cref="PacketParser"/>.</summary>
    private static VerdictReason Parse(ReadOnlySpan<byte> frame, PacketRun run)
    {
        var reason = PacketParser.TryParse(frame, out var packet);
        run.Packet = packet;
        return reason;
    }

    /// <summary>
    /// Step 3: the RFC 4890 §4.4.1 ICMPv6 set, narrowed by the configuration (masked, so never widened), with the hop
    /// limit its RFC requires: 255 for neighbour discovery (RFC 4861 §6.1.1, §7.1.1), 1 for MLD (RFC 2710 §3, RFC 3810
    /// §5) and multicast router discovery (RFC 4286 §3).
    /// </summary>
    private VerdictReason AlwaysAllowed(PacketRun run)
    {
        ref readonly var packet = ref run.Packet;
        // ND in a fragment, an atomic one included, is not ND (RFC 6980 §5: nodes MUST silently ignore ND messages
        // that carry a fragment header), so it gets no pass.
        if (packet.Family != DatapathConstants.FamilyIPv6 || !packet.IsIcmp || packet.IsFragment || packet.HasFragmentHeader)
        {
            return VerdictReason.None;
        }

        var bit = packet.IcmpType - DatapathConstants.AlwaysAllowedIcmpV6Base;
        if (bit is < 0 or >= 32)
        {
            return VerdictReason.None;
        }

        var mask = 1u << bit;
        if ((Maps.Config.AlwaysAllowedIcmpV6Types & DatapathConstants.AlwaysAllowedIcmpV6Types & mask) == 0)
        {
            return VerdictReason.None;
        }

        var required = (DatapathConstants.HopLimit255Types & mask) != 0 ? 255 : 1;
        if (packet.HopLimit != required)
        {
            return VerdictReason.None;
        }

        // Leaving the endpoint, ND passes only on its link: from a source the endpoint may use there (a link-local address
        // fe80::/10, the unspecified address for duplicate address detection, RFC 4861 §7.2.2, or its own address), to a
        // destination no router forwards (link-local unicast fe80::/10, or link-local multicast ff02::/16, RFC 4291
        // §2.7). Anything else goes on to the source check and the endpoint's egress policy: an NS to a peer's global
        // address would be forwarded by the node with its hop limit lowered, past the endpoint's egress policy, and
        // from a forged source judged at the peer as that source's endpoint.
        if (run.Direction == DatapathConstants.DirectionEgress &&
            ((!IsLinkSource(packet.Source) && !run.Endpoint.IsOwnAddress(packet.Family, packet.Source)) || !IsLinkDestination(packet.Destination)))
        {
            return VerdictReason.None;
        }

        return VerdictReason.NeighbourDiscovery;
    }

    /// <summary>fe80::/10 (RFC 4291 §2.5.6) or ff02::/16, link-local scope multicast (§2.7): never forwarded.</summary>
    private static bool IsLinkDestination(in IpAddress16 destination) =>
        (destination[0] == 0xfe && (destination[1] & 0xc0) == 0x80) || (destination[0] == 0xff && destination[1] == 0x02);

    /// <summary>fe80::/10 (RFC 4291 §2.5.6) or :: (§2.5.2).</summary>
    private static bool IsLinkSource(in IpAddress16 source) =>
        (source[0] == 0xfe && (source[1] & 0xc0) == 0x80) || source.Equals(default);

    /// <summary>
    /// Step 3a, egress only: a packet leaving the endpoint must come from the endpoint's own address of its family
    /// (Cilium's source IP verification, bpf_lxc.c), or it could pass as another endpoint: the ingress side of its peer
    /// reads the source's identity from the ipcache. Neighbour discovery and MLD, whose link-local and unspecified
    /// sources (RFC 4861 §7.2.2, duplicate address detection) no endpoint owns, passed at step 3 already; ARP is not IP.
    /// </summary>
    private static VerdictReason SourceAddress(PacketRun run)
    {
        if (run.Direction != DatapathConstants.DirectionEgress)
        {
            return VerdictReason.None;
        }

        return run.Endpoint.IsOwnAddress(run.Packet.Family, run.Packet.Source) ? VerdictReason.None : VerdictReason.InvalidSource;
    }

    /// <summary>Step 4: a later fragment takes its first fragment's verdict, and its ports or ICMP type and code.</summary>
    private VerdictReason LaterFragment(PacketRun run)
    {
        if (!run.Packet.IsLaterFragment)
        {
            return VerdictReason.None;
        }

        if (!Maps.Fragments.TryGetValue(FragmentKeyOf(run), out var entry) || entry.ExpiresAt <= run.Now)
        {
            return VerdictReason.FragmentWithoutFirst;
        }

        run.Packet.SourcePort = entry.SourcePort;
        run.Packet.DestinationPort = entry.DestinationPort;
        run.Packet.IcmpType = entry.IcmpType;
        run.Packet.IcmpCode = entry.IcmpCode;
        return ((VerdictReason)entry.Reason).IsDrop() ? VerdictReason.FragmentOfDenied : VerdictReason.FragmentAllowed;
    }

    /// <summary>
    /// Step 5 (docs/datapath.md §4): forward then reverse for ports-tracked protocols; Echo Request forward only and
    /// Echo Reply reverse only (so a new Echo Request is never a reply: GHSA-c66w-hq56-4q97); an error by the flow it
    /// embeds; other ICMP not at all.
    /// </summary>
    private VerdictReason Conntrack(PacketRun run)
    {
        ref readonly var packet = ref run.Packet;
        if (packet.IsIcmp)
        {
            if (packet.IsEchoRequest)
            {
                return Refresh(run, Forward(run), reply: false) ? VerdictReason.Established : VerdictReason.None;
            }

            if (packet.IsEchoReply)
            {
                return Refresh(run, Reverse(run), reply: true) ? VerdictReason.Reply : VerdictReason.None;
            }

            return packet.IsIcmpError && IsRelated(run) ? VerdictReason.Related : VerdictReason.None;
        }

        if (Refresh(run, Forward(run), reply: false))
        {
            return VerdictReason.Established;
        }

        return Refresh(run, Reverse(run), reply: true) ? VerdictReason.Reply : VerdictReason.None;
    }

    /// <summary>Step 6: the peer (the destination in egress, the source in ingress) in the ipcache, else world.</summary>
    private void Identity(PacketRun run)
    {
        ref readonly var packet = ref run.Packet;
        var peer = run.Direction == DatapathConstants.DirectionEgress ? packet.Destination : packet.Source;
        var key = new IpcacheKey { PrefixLength = DatapathConstants.IpcacheKeyBits, Family = packet.Family, Address = peer };
        run.PeerIdentity = Maps.Ipcache.TryLookup(key, out var value)
            ? value.Identity
            : packet.Family == DatapathConstants.FamilyIPv4 ? WorldIPv4Identity : WorldIPv6Identity;
    }

    /// <summary>Step 7: two longest-prefix lookups, the peer's identity and any identity; deny wins, then allow, then the default.</summary>
    private VerdictReason Policy(PacketRun run)
    {
        ref readonly var packet = ref run.Packet;
        var policyId = run.Endpoint.PolicyId;
        var peerFound = Maps.Policy.TryLookup(
            PolicyMapKey.Lookup(policyId, run.PeerIdentity, run.Direction, packet.Protocol, packet.L4Value), out var peer);
        var anyFound = Maps.Policy.TryLookup(
            PolicyMapKey.Lookup(policyId, 0, run.Direction, packet.Protocol, packet.L4Value), out var any);

        if (peerFound && peer.IsDeny)
        {
            return Decide(run, DecidedBy.PeerEntry, peer, VerdictReason.PolicyDenied);
        }

        if (anyFound && any.IsDeny)
        {
            return Decide(run, DecidedBy.AnyIdentityEntry, any, VerdictReason.PolicyDenied);
        }

        if (peerFound)
        {
            return Decide(run, DecidedBy.PeerEntry, peer, VerdictReason.PolicyAllowed);
        }

        if (anyFound)
        {
            return Decide(run, DecidedBy.AnyIdentityEntry, any, VerdictReason.PolicyAllowed);
        }

        run.DecidedBy = DecidedBy.Default;
        return run.Endpoint.IsDefaultDeny(run.Direction) ? VerdictReason.DefaultDenied : VerdictReason.DefaultAllowed;
    }

    /// <summary>
    /// Step 8: a new flow that policy or the default passed is entered in conntrack (every ports-tracked protocol,
    /// of ICMP only the Echo Request); a first fragment leaves its verdict, whatever it is, for its later fragments.
    /// </summary>
    private void Record(PacketRun run, VerdictReason reason)
    {
        ref readonly var packet = ref run.Packet;
        if (reason is VerdictReason.PolicyAllowed or VerdictReason.DefaultAllowed && (!packet.IsIcmp || packet.IsEchoRequest))
        {
            var flags = IsClosing(packet) ? ConntrackEntry.FlagClosing : (byte)0;
            Write(run, Forward(run), flags);
        }

        if (packet.IsFirstFragment)
        {
            var key = FragmentKeyOf(run);
            var entry = new FragmentEntry
            {
                ExpiresAt = run.Now + (DatapathConstants.LifetimeFragment * DatapathConstants.NanosecondsPerSecond),
                SourcePort = packet.SourcePort,
                DestinationPort = packet.DestinationPort,
                IcmpType = packet.IcmpType,
                IcmpCode = packet.IcmpCode,
                Reason = (byte)reason,
            };
            Maps.Fragments[key] = entry;
            run.FragmentWrites.Add(new FragmentWrite(key, entry));
        }
    }

    /// <summary>Step 9: the counter of (reason, direction, protocol class); the event, through the token bucket.</summary>
    private (int Slot, EventRecord? Record, bool Sent) Account(PacketRun run, VerdictReason reason, uint length)
    {
        ref readonly var packet = ref run.Packet;
        var slot = ProtocolClassExtensions.CounterSlot(reason, run.Direction, ProtocolClassExtensions.Classify(packet.Family, packet.Protocol));
        Maps.Counters[slot]++;

        var emit = reason.IsDrop() ||
            (reason is VerdictReason.PolicyAllowed or VerdictReason.DefaultAllowed && (Maps.Config.Flags & DatapathConfig.FlagEmitAllowEvents) != 0);
        if (!emit)
        {
            return (slot, null, false);
        }

        var record = new EventRecord
        {
            Kind = (byte)(reason.IsDrop() ? EventKind.Drop : EventKind.PolicyVerdict),
            Reason = (byte)reason,
            Direction = run.Direction,
            Family = packet.Family,
            Protocol = packet.Protocol,
            IcmpType = packet.IcmpType,
            IcmpCode = packet.IcmpCode,
            DecidedBy = (byte)run.DecidedBy,
            EndpointId = run.Endpoint.EndpointId,
            EndpointIdentity = run.Endpoint.Identity,
            PeerIdentity = run.PeerIdentity,
            Ifindex = run.Ifindex,
            SourcePort = packet.SourcePort,
            DestinationPort = packet.DestinationPort,
            PolicyCookie = run.PolicyValue?.Cookie ?? 0,
            PolicyPrefixLength = run.PolicyValue?.PrefixLengthOfValue ?? 0,
            PolicyFlags = run.PolicyValue?.Flags ?? 0,
            PacketLength = length,
            Source = packet.Source,
            Destination = packet.Destination,
            Timestamp = run.Now,
        };
        var sent = TakeToken(run.Now);
        if (!sent)
        {
            Maps.Counters[DatapathConstants.CounterEventsSuppressed]++;
        }

        return (slot, record, sent);
    }

    /// <summary>
    /// The per-CPU token bucket: a full second since the last refill fills it to the burst; less adds whole tokens
    /// at the rate and moves the refill time on by exactly the time those tokens took, so no fraction is lost.
    /// </summary>
    private bool TakeToken(ulong now)
    {
        var bucket = Maps.Bucket;
        var config = Maps.Config;
        var elapsed = now - bucket.LastRefill;
        if (elapsed >= DatapathConstants.NanosecondsPerSecond)
        {
            bucket.Tokens = config.EventBurst;
            bucket.LastRefill = now;
        }
        else
        {
            var add = elapsed * config.EventRate / DatapathConstants.NanosecondsPerSecond;
            if (add > 0)
            {
                bucket.Tokens = Math.Min(config.EventBurst, bucket.Tokens + add);
                bucket.LastRefill += add * DatapathConstants.NanosecondsPerSecond / config.EventRate;
            }
        }

        var sent = bucket.Tokens != 0;
        if (sent)
        {
            bucket.Tokens--;
        }

        Maps.Bucket = bucket;
        return sent;
    }

    private VerdictReason Decide(PacketRun run, DecidedBy by, PolicyMapValue value, VerdictReason reason)
    {
        run.DecidedBy = by;
        run.PolicyValue = value;
        return reason;
    }

    /// <summary>An ICMP error is related when the flow it embeds is one the endpoint sent (the other way) or replied to.</summary>
    private bool IsRelated(PacketRun run)
    {
        ref readonly var packet = ref run.Packet;
        ref readonly var inner = ref packet.Embedded;
        if (!inner.Valid || (ParsedPacket.IsIcmpOf(packet.Family, inner.Protocol) && !ParsedPacket.IsEchoType(packet.Family, inner.IcmpType)))
        {
            return false;
        }

        var sent = Key(run, Opposite(run.Direction), inner.Protocol, inner.Source, inner.Destination, inner.SourcePort, inner.DestinationPort);
        var replied = Key(run, run.Direction, inner.Protocol, inner.Destination, inner.Source, inner.DestinationPort, inner.SourcePort);
        return IsLive(sent, run.Now) || IsLive(replied, run.Now);
    }

    private bool IsLive(in ConntrackKey key, ulong now) => Maps.Conntrack.TryGetValue(key, out var entry) && entry.ExpiresAt > now;

    /// <summary>A live entry under <paramref name="key"/> is refreshed: reply and closing flags, then the lifetime they give.</summary>
    private bool Refresh(PacketRun run, in ConntrackKey key, bool reply)
    {
        if (!Maps.Conntrack.TryGetValue(key, out var entry) || entry.ExpiresAt <= run.Now)
        {
            return false;
        }

        var flags = entry.Flags;
        if (reply)
        {
            flags |= ConntrackEntry.FlagSeenReply;
        }

        if (IsClosing(run.Packet))
        {
            flags |= ConntrackEntry.FlagClosing;
        }

        Write(run, key, flags);
        return true;
    }

    private void Write(PacketRun run, in ConntrackKey key, byte flags)
    {
        var lifetime = LifetimeOf(run.Packet, flags);
        var entry = new ConntrackEntry
        {
            ExpiresAt = run.Now + (lifetime * DatapathConstants.NanosecondsPerSecond),
            LifetimeSeconds = lifetime,
            Flags = flags,
        };
        Maps.Conntrack[key] = entry;
        run.ConntrackWrites.Add(new ConntrackWrite(key, entry));
    }

    /// <summary>Cilium's lifetimes (bpf/lib/conntrack.h): TCP short until a reply, long after, shortest once closing.</summary>
    private static uint LifetimeOf(in ParsedPacket packet, byte flags) => packet.Protocol switch
    {
        IpProtocols.Tcp when (flags & ConntrackEntry.FlagClosing) != 0 => DatapathConstants.LifetimeTcpClosing,
        IpProtocols.Tcp when (flags & ConntrackEntry.FlagSeenReply) != 0 => DatapathConstants.LifetimeTcpEstablished,
        IpProtocols.Tcp => DatapathConstants.LifetimeTcpOpening,
        _ when packet.IsIcmp => DatapathConstants.LifetimeIcmpEcho,
        _ => DatapathConstants.LifetimeDatagram,
    };

    private static bool IsClosing(in ParsedPacket packet) =>
        packet.Protocol == IpProtocols.Tcp && (packet.TcpFlags & (DatapathConstants.TcpFlagFin | DatapathConstants.TcpFlagRst)) != 0;

    private static ConntrackKey Forward(PacketRun run)
    {
        ref readonly var packet = ref run.Packet;
        return Key(run, run.Direction, packet.Protocol, packet.Source, packet.Destination, packet.SourcePort, packet.DestinationPort);
    }

    private static ConntrackKey Reverse(PacketRun run)
    {
        ref readonly var packet = ref run.Packet;
        return Key(run, Opposite(run.Direction), packet.Protocol, packet.Destination, packet.Source, packet.DestinationPort, packet.SourcePort);
    }

    private static ConntrackKey Key(PacketRun run, byte direction, byte protocol, in IpAddress16 source, in IpAddress16 destination, ushort sourcePort, ushort destinationPort) =>
        new()
        {
            Source = source,
            Destination = destination,
            SourcePort = sourcePort,
            DestinationPort = destinationPort,
            EndpointId = run.Endpoint.EndpointId,
            Protocol = protocol,
            Family = run.Packet.Family,
            Direction = direction,
        };

    private static FragmentKey FragmentKeyOf(PacketRun run)
    {
        ref readonly var packet = ref run.Packet;
        return new FragmentKey
        {
            Source = packet.Source,
            Destination = packet.Destination,
            FragmentId = packet.FragmentId,
            EndpointId = run.Endpoint.EndpointId,
            Protocol = packet.Protocol,
            Family = packet.Family,
            Direction = run.Direction,
        };
    }

    private static byte Opposite(byte direction) =>
        direction == DatapathConstants.DirectionIngress ? DatapathConstants.DirectionEgress : DatapathConstants.DirectionIngress;

    /// <summary>One packet's state as it goes through the stages.</summary>
    private sealed class PacketRun(uint ifindex, byte direction, ulong now)
    {
        public uint Ifindex { get; } = ifindex;

        public byte Direction { get; } = direction;

        public ulong Now { get; } = now;

        public EndpointConfig Endpoint;
        public ParsedPacket Packet;
        public uint PeerIdentity;
        public DecidedBy DecidedBy;
        public PolicyMapValue? PolicyValue;

        public List<ConntrackWrite> ConntrackWrites { get; } = [];

        public List<FragmentWrite> FragmentWrites { get; } = [];
    }
}
