namespace Membrane.Datapath;

/// <summary>
/// The numbers the program generator and the managed twin share. Both read them from here, so that a change of one
/// cannot leave the other behind.
/// </summary>
public static class DatapathConstants
{
    public const byte FamilyIPv4 = 4;
    public const byte FamilyIPv6 = 6;

    public const ushort EtherTypeIPv4 = 0x0800;
    public const ushort EtherTypeIPv6 = 0x86DD;
    public const ushort EtherTypeArp = 0x0806;
    public const ushort EtherTypeVlan = 0x8100;
    public const ushort EtherTypeQinQ = 0x88A8;

    public const int EthernetHeaderLength = 14;
    public const int IPv4MinimumHeaderLength = 20;
    public const int IPv6HeaderLength = 40;

    /// <summary>IPv6 extension headers walked before the L4 header; one more is a drop (fail closed, ICMP.md §5).</summary>
    public const int MaxExtensionHeaders = 4;

    public const byte NextHeaderHopByHop = 0;
    public const byte NextHeaderRouting = 43;
    public const byte NextHeaderFragment = 44;
    public const byte NextHeaderAuthentication = 51;
    public const byte NextHeaderDestinationOptions = 60;

    /// <summary>
    /// How many leading bytes of a packet the program makes linear (bpf_skb_pull_data) before it parses; headers
    /// beyond the skb's linear part after that are read as truncated, so the limit fails closed.
    /// </summary>
    public const int PullLength = 512;

    // tc action codes (include/uapi/linux/pkt_cls.h): TC_ACT_OK passes, TC_ACT_SHOT drops; tcx reads them alike.
    public const int ActionPass = 0;
    public const int ActionDrop = 2;

    /// <summary>The direction each program enforces: the engine's <c>TrafficDirection</c> numbers, used in keys.</summary>
    public const byte DirectionIngress = 0;
    public const byte DirectionEgress = 1;

    // Policy map key: {prefix length; policy id; identity; direction; protocol; value (big-endian)}. The prefix
    // covers policy id, identity and direction always (72 bits), the protocol when it is not "any" (80), then the
    // value's own prefix: so "any protocol" and "any port" are prefixes and one longest-prefix lookup per identity
    // finds the entry that decides.
    public const int PolicyKeyBits = 96;
    public const int PolicyAnyProtocolPrefix = 72;
    public const int PolicyProtocolPrefix = 80;

    /// <summary>The ipcache key's prefix counts the family word (32 bits) before the address.</summary>
    public const int IpcacheFamilyBits = 32;
    public const int IpcacheKeyBits = 32 + 128;

    // Conntrack lifetimes, in seconds, after Cilium's defaults (bpf/lib/conntrack.h): a TCP flow is short-lived until
    // its reply is seen, long-lived after, and closing once FIN or RST is seen; other protocols have one lifetime.
    public const uint LifetimeTcpOpening = 60;
    public const uint LifetimeTcpEstablished = 21600;
    public const uint LifetimeTcpClosing = 10;
    public const uint LifetimeDatagram = 60;
    public const uint LifetimeIcmpEcho = 30;

    /// <summary>How long a first fragment's verdict waits for the later fragments (Linux's ipfrag_time).</summary>
    public const uint LifetimeFragment = 30;

    public const ulong NanosecondsPerSecond = 1_000_000_000;

    // Map sizes. The maps are bounded: conntrack and fragments are LRU hashes, so a flood evicts old entries and
    // never fails an insert; the agent's garbage collection comes later.
    public const int DefaultPolicyEntries = 1 << 20;
    public const int DefaultIpcacheEntries = 1 << 18;
    public const int DefaultConntrackEntries = 1 << 18;
    public const int DefaultFragmentEntries = 1 << 13;
    public const int DefaultEndpoints = 1 << 12;
    public const int EventRingBytes = 1 << 20;

    /// <summary>Counters: one per (reason, direction, protocol class), then the event counters.</summary>
    public const int ReasonSlots = 32;
    public const int ProtocolClasses = 8;
    public const int CounterEventsSuppressed = ReasonSlots * 2 * ProtocolClasses;
    public const int CounterEventsLost = CounterEventsSuppressed + 1;
    public const int CounterSlots = CounterEventsLost + 1;

    // Events: a token bucket per CPU; the defaults allow bursts of 1,000 and 1,000 events a second per CPU.
    public const uint DefaultEventRate = 1000;
    public const uint DefaultEventBurst = 1000;

    /// <summary>
    /// The ICMPv6 types that always pass, as bits over types 128..159 (bit n is type 128 + n): RFC 4890 §4.4.1's
    /// "must not be dropped" link-local traffic. Neighbour discovery with hop limit 255 (RFC 4861 §6.1, §7.1;
    /// inverse ND RFC 3122; SEND certificate path RFC 3971): 133-136, 141, 142, 148, 149. MLD (RFC 2710, RFC 3810)
    /// and multicast router discovery (RFC 4286) with hop limit 1: 130-132, 143, 151-153. The configuration map can
    /// narrow the set, never widen it.
    /// </summary>
    public const uint AlwaysAllowedIcmpV6Types = HopLimit255Types | HopLimit1Types;

    public const byte AlwaysAllowedIcmpV6Base = 128;

    /// <summary>The always-allowed types that need hop limit 255 (neighbour discovery), as bits over 128..159.</summary>
    public const uint HopLimit255Types = (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 13) | (1u << 14) | (1u << 20) | (1u << 21);

    /// <summary>The always-allowed types that need hop limit 1 (MLD, multicast router discovery), as bits over 128..159.</summary>
    public const uint HopLimit1Types = (1u << 2) | (1u << 3) | (1u << 4) | (1u << 15) | (1u << 23) | (1u << 24) | (1u << 25);

    // ICMP types the path treats specially.
    public const byte Icmp4EchoReply = 0;
    public const byte Icmp4DestinationUnreachable = 3;
    public const byte Icmp4EchoRequest = 8;
    public const byte Icmp4TimeExceeded = 11;
    public const byte Icmp4ParameterProblem = 12;
    public const byte Icmp6DestinationUnreachable = 1;
    public const byte Icmp6PacketTooBig = 2;
    public const byte Icmp6TimeExceeded = 3;
    public const byte Icmp6ParameterProblem = 4;
    public const byte Icmp6EchoRequest = 128;
    public const byte Icmp6EchoReply = 129;

    public const byte TcpFlagFin = 0x01;
    public const byte TcpFlagRst = 0x04;
}
