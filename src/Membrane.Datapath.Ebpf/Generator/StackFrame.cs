using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Where the programs keep their state on the 512-byte BPF stack, as offsets from the frame pointer (R10). The parser
/// copies what it reads into <see cref="Event"/> (an <see cref="EventRecord"/>, which is also what the ring buffer
/// gets) and <see cref="State"/>, so that no stage after parsing holds a packet pointer, and the whole frame is zeroed
/// first, so that every key and the event are fully initialised whatever path a packet takes. Every field is aligned
/// to its size: the verifier checks stack accesses strictly (kernel/bpf/verifier.c check_ptr_alignment).
/// </summary>
internal static unsafe class StackFrame
{
    public const int Size = 256;

    /// <summary>The <see cref="EventRecord"/>: the packet's addresses, protocol, ports, ICMP type and code, identities,
    /// reason and the policy entry that decided.</summary>
    public const short Event = -80;

    // State that the event does not carry (32 bytes at -112).
    public const short PolicyId = -112;
    public const short EndpointFlags = -108;
    public const short FragmentId = -104;
    public const short ConfigFlags = -100;
    public const short AllowedIcmpV6Types = -96;
    public const short TcpFlags = -92;
    public const short HopLimit = -91;
    public const short IcmpKind = -90;
    public const short FragmentKind = -89;
    public const short InnerValid = -88;
    public const short InnerProtocol = -87;
    public const short InnerSourcePort = -86;
    public const short InnerDestinationPort = -84;

    /// <summary>Where the parser passes its offset through to widen the verifier's view of it (ParseStage.ForgetOffset).</summary>
    public const short OffsetScratch = -82;

    /// <summary>bpf_ktime_get_ns at the start: one clock reading for every expiry check and write of this packet.</summary>
    public const short Now = -120;
    public const short EventRate = -128;
    public const short EventBurst = -124;
    public const short InnerSource = -144;
    public const short InnerDestination = -160;

    /// <summary>Scratch for the conntrack, fragment, ipcache and policy keys (the largest is 44 bytes).</summary>
    public const short Key = -208;

    /// <summary>Scratch for a conntrack or fragment entry being written.</summary>
    public const short Value = -224;

    /// <summary>A u32 key: the ifindex, 0 for the one-element arrays, or a counter slot.</summary>
    public const short SmallKey = -232;

    /// <summary>The endpoint's own IPv6 address (egress program only), 8-byte aligned for two u64 compares.</summary>
    public const short EndpointIPv6 = -248;

    /// <summary>The endpoint's own IPv4 address (egress program only), its bytes as in the packet.</summary>
    public const short EndpointIPv4 = -252;

    public static readonly short EventKind = EventField(e => &e->Kind);
    public static readonly short Reason = EventField(e => &e->Reason);
    public static readonly short Direction = EventField(e => &e->Direction);
    public static readonly short Family = EventField(e => &e->Family);
    public static readonly short Protocol = EventField(e => &e->Protocol);
    public static readonly short IcmpType = EventField(e => &e->IcmpType);
    public static readonly short IcmpCode = EventField(e => &e->IcmpCode);
    public static readonly short DecidedBy = EventField(e => &e->DecidedBy);
    public static readonly short EndpointId = EventField(e => &e->EndpointId);
    public static readonly short EndpointIdentity = EventField(e => &e->EndpointIdentity);
    public static readonly short PeerIdentity = EventField(e => &e->PeerIdentity);
    public static readonly short Ifindex = EventField(e => &e->Ifindex);
    public static readonly short SourcePort = EventField(e => &e->SourcePort);
    public static readonly short DestinationPort = EventField(e => &e->DestinationPort);
    public static readonly short PolicyCookie = EventField(e => &e->PolicyCookie);
    public static readonly short PolicyPrefixLength = EventField(e => &e->PolicyPrefixLength);
    public static readonly short PolicyFlags = EventField(e => &e->PolicyFlags);
    public static readonly short PacketLength = EventField(e => &e->PacketLength);
    public static readonly short Source = EventField(e => &e->Source);
    public static readonly short Destination = EventField(e => &e->Destination);
    public static readonly short Timestamp = EventField(e => &e->Timestamp);

    private delegate void* FieldOf(EventRecord* record);

    /// <summary>The frame offset of an event field, from the struct itself, so the layout has one definition.</summary>
    private static short EventField(FieldOf field)
    {
        var record = default(EventRecord);
        return (short)(Event + (int)((byte*)field(&record) - (byte*)&record));
    }
}
