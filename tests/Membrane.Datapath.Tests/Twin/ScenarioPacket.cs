namespace Membrane.Datapath.Tests.Twin;

/// <summary>
/// A packet: when (seconds), on which interface (the endpoint's unless given), in which direction, and its headers.
/// <c>expect</c> is a reason, by its words (<c>policy denied</c>) or its name (<c>PolicyDenied</c>).
/// </summary>
public sealed class ScenarioPacket
{
    public double At { get; set; }

    public uint? Ifindex { get; set; }

    public string Dir { get; set; } = "";

    /// <summary>The frame's EtherType when it is not the address family's: <c>arp</c>, <c>vlan</c> (802.1Q), <c>qinq</c> (802.1ad).</summary>
    public string? Ether { get; set; }

    public string Src { get; set; } = "";

    public string Dst { get; set; } = "";

    /// <summary>tcp, udp, sctp, icmp (the family's ICMP) or a protocol number; icmp when <see cref="Icmp"/> is set.</summary>
    public string? Proto { get; set; }

    public ushort Sport { get; set; } = 40000;

    public ushort Dport { get; set; } = 80;

    /// <summary>TCP flags: <c>SYN</c>, <c>ACK</c>, <c>FIN</c>, <c>RST</c>, <c>PSH</c>, comma-separated.</summary>
    public string? Flags { get; set; }

    /// <summary>An ICMP type by name (this family's) or number.</summary>
    public string? Icmp { get; set; }

    public byte Code { get; set; }

    /// <summary>The echo identifier.</summary>
    public ushort Id { get; set; } = 1;

    public byte? Ttl { get; set; }

    /// <summary>IPv6 extension headers, by number, in order.</summary>
    public List<byte>? Ext { get; set; }

    public ScenarioFragment? Fragment { get; set; }

    /// <summary>For an ICMP error: the packet whose header it carries.</summary>
    public ScenarioPacket? About { get; set; }

    /// <summary>How many bytes of <see cref="About"/>'s IP packet the error carries (all by default).</summary>
    public int? EmbedLength { get; set; }

    /// <summary>Cut the frame to this many bytes.</summary>
    public int? Cut { get; set; }

    /// <summary>Send the same packet this many times, each expecting the same reason.</summary>
    public int Repeat { get; set; } = 1;

    public string Expect { get; set; } = "";

    /// <summary>The peer identity the verdict must report (0 when the ipcache was not consulted).</summary>
    public uint? Peer { get; set; }

    /// <summary>sent, suppressed or none: what became of the event of the (last repeated) packet.</summary>
    public string? Event { get; set; }

    /// <summary>The lifetime, in seconds, of every conntrack write the packet made (at least one).</summary>
    public uint? Lifetime { get; set; }

    /// <summary>How many conntrack writes the packet made.</summary>
    public int? ConntrackWrites { get; set; }

    public override string ToString() =>
        $"{Dir} {Src} -> {Dst} {Icmp ?? Proto ?? "udp"}{(Fragment is null ? "" : $" fragment {Fragment.Offset}")} at {At}s";
}
