using System.Globalization;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Tracing;

/// <summary>
/// What a traced packet carries above IP, as people write it: <c>80/TCP</c>, or an ICMP message
/// <c>TYPE[/CODE][/FAMILY]</c> such as <c>EchoRequest/IPv6</c> or <c>3/4/IPv4</c>.
/// </summary>
public sealed record L4Spec(byte Protocol, ushort Port, byte IcmpType, byte IcmpCode)
{
    /// <summary>The protocols <see cref="ParsePort"/> accepts, as help and docs list them.</summary>
    public static IReadOnlyList<string> PortProtocols { get; } = ["TCP", "UDP", "SCTP"];

    /// <summary>
    /// <c>PORT[/PROTOCOL]</c>: a decimal port from 0 to 65535 without sign or leading zero (Cilium
    /// reads "080" as an error and "010" as octal 8, so neither is guessed at), and TCP, UDP or SCTP
    /// exactly as listed, TCP when left out. ICMP has --icmp; ANY and protocols without ports are
    /// not a packet.
    /// </summary>
    public static L4Spec ParsePort(string text)
    {
        var slash = text.IndexOf('/');
        var number = slash < 0 ? text : text[..slash];
        if (number.Length == 0 || number.Length > 5 || !number.All(char.IsAsciiDigit) || (number.Length > 1 && number[0] == '0')
            || !ushort.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            throw new FormatException($"\"{text}\" is not PORT/PROTOCOL, like 80/TCP: the port is a decimal number from 0 to 65535, without sign or leading zeros");
        }

        var protocolName = slash < 0 ? "TCP" : text[(slash + 1)..];
        var protocol = protocolName switch
        {
            "TCP" => IpProtocols.Tcp,
            "UDP" => IpProtocols.Udp,
            "SCTP" => IpProtocols.Sctp,
            _ => IpProtocols.Any,
        };
        if (protocol == IpProtocols.Any)
        {
            var hint = PortProtocols.FirstOrDefault(p => p.Equals(protocolName, StringComparison.OrdinalIgnoreCase)) is { } upper ? $"; write it as {upper}"
                : IpProtocols.TryParse(protocolName, out var other) && IpProtocols.IsIcmp(other) ? "; for ICMP use --icmp" : "";
            throw new FormatException($"\"{protocolName}\" is not TCP, UDP or SCTP{hint}");
        }

        return new L4Spec(protocol, port, 0, 0);
    }

    public static L4Spec ParseIcmp(string text)
    {
        var parts = text.Split('/').ToList();
        var family = IcmpFamily.IPv4;
        if (parts.Count > 1 && parts[^1] is "IPv4" or "IPv6" or "ipv4" or "ipv6")
        {
            family = parts[^1].Equals("IPv6", StringComparison.OrdinalIgnoreCase) ? IcmpFamily.IPv6 : IcmpFamily.IPv4;
            parts.RemoveAt(parts.Count - 1);
        }

        // A part that reads as a family attempt is judged as a family, so "EchoRequest/IPv9" says the
        // family is wrong rather than that IPv9 is no code of EchoRequest.
        for (var i = 1; i < parts.Count; i++)
        {
            if (LooksLikeFamily(parts[i]))
            {
                throw new FormatException(i == parts.Count - 1
                    ? $"\"{parts[i]}\" is not a family; the family is IPv4 or IPv6"
                    : $"\"{text}\": the family comes last, as in TYPE[/CODE][/FAMILY]");
            }
        }

        if (parts.Count is < 1 or > 2)
        {
            throw new FormatException($"\"{text}\" is not TYPE[/CODE][/FAMILY], like EchoRequest/IPv6 or 3/4/IPv4");
        }

        byte type;
        if (!byte.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out type))
        {
            var info = IcmpTypes.FindByName(family, parts[0])
                ?? throw new FormatException(IcmpTypes.FindByName(IcmpTypes.Other(family), parts[0]) is { } other
                    ? $"{parts[0]} is an {(other.Family == IcmpFamily.IPv6 ? "ICMPv6" : "ICMPv4")} type ({other.Type}); add /{other.Family}"
                    : $"\"{parts[0]}\" is not an ICMP type number or name");
            type = info.Type;
        }

        byte code = 0;
        if (parts.Count == 2 && !byte.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out code))
        {
            if (IcmpTypes.Find(family, type)?.CodeNames.TryGetValue(parts[1], out code) != true)
            {
                throw new FormatException($"\"{parts[1]}\" is not a code of {IcmpTypes.Describe(family, type)}");
            }
        }

        return new L4Spec(IpProtocols.ForIcmp(family), 0, type, code);
    }

    private static bool LooksLikeFamily(string part) =>
        part.StartsWith("ip", StringComparison.OrdinalIgnoreCase) || part.Equals("v4", StringComparison.OrdinalIgnoreCase) || part.Equals("v6", StringComparison.OrdinalIgnoreCase)
        || part.StartsWith("inet", StringComparison.OrdinalIgnoreCase);

    public override string ToString() => IpProtocols.IsIcmp(Protocol)
        ? $"{IpProtocols.Name(Protocol)} {IcmpTypes.Describe(Protocol == IpProtocols.IcmpV6 ? IcmpFamily.IPv6 : IcmpFamily.IPv4, IcmpType)} code {IcmpCode}"
        : $"{Port}/{IpProtocols.Name(Protocol)}";
}
