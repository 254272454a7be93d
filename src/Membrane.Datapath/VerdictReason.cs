namespace Membrane.Datapath;

/// <summary>
/// Why the datapath passed or dropped a packet. Every packet gets exactly one; counters, events and the twin use these
/// numbers, and the program writes the reason of each packet into <c>skb-&gt;cb[0]</c>. Reasons from
/// <see cref="FirstDrop"/> up are drops.
/// </summary>
public enum VerdictReason : byte
{
    None = 0,

    /// <summary>Not IPv4 or IPv6 (ARP and the rest): policy is about IP.</summary>
    NotIp = 1,

    /// <summary>IPv6 neighbour discovery or MLD in the always-allowed set, with the hop limit its RFC requires.</summary>
    NeighbourDiscovery = 2,

    /// <summary>A later packet of a tracked flow, in the direction it was first allowed.</summary>
    Established = 3,

    /// <summary>A reply of a tracked flow: the reverse direction, or an Echo Reply to a tracked Echo Request.</summary>
    Reply = 4,

    /// <summary>An ICMP error whose embedded header matches a tracked flow.</summary>
    Related = 5,

    /// <summary>A new flow that a policy entry allows.</summary>
    PolicyAllowed = 6,

    /// <summary>A new flow in a direction where no policy selects the endpoint.</summary>
    DefaultAllowed = 7,

    /// <summary>A later fragment of a datagram whose first fragment passed.</summary>
    FragmentAllowed = 8,

    FirstDrop = 16,

    /// <summary>A deny entry matched.</summary>
    PolicyDenied = 16,

    /// <summary>The endpoint is default-deny in this direction and no entry allows the flow.</summary>
    DefaultDenied = 17,

    /// <summary>A header ends beyond the packet (or beyond its IP length).</summary>
    Truncated = 18,

    /// <summary>An IP header that does not read: wrong version, IHL below 5, total length below the header.</summary>
    MalformedIpHeader = 19,

    /// <summary>More IPv6 extension headers than the datapath walks.</summary>
    TooManyExtensionHeaders = 20,

    /// <summary>A later fragment whose first fragment was never seen (or has expired).</summary>
    FragmentWithoutFirst = 21,

    /// <summary>A later fragment of a datagram whose first fragment was dropped.</summary>
    FragmentOfDenied = 22,

    /// <summary>The interface has no endpoint configuration: fail closed.</summary>
    UnknownEndpoint = 23,

    /// <summary>An L4 header that does not read: a TCP data offset below 5.</summary>
    MalformedL4Header = 24,

    /// <summary>An in-band VLAN tag: the datapath does not look inside it, so it does not let it through.</summary>
    UnsupportedEncapsulation = 25,

    /// <summary>
    /// A packet leaving an endpoint whose source is not the endpoint's own address (Cilium's DROP_INVALID_SIP): a
    /// forged source, or an address the endpoint added to its own interface, must never pass as another endpoint.
    /// </summary>
    InvalidSource = 26,
}
