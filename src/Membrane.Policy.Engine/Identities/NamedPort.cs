using System.Globalization;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Identities;

/// <summary>A port an endpoint names, like a container port named <c>http</c>.</summary>
public readonly record struct NamedPort(ushort Port, L4Protocol Protocol)
{
    /// <summary>
    /// Whether <paramref name="name"/> can name a port: 1 to 15 lower-case letters, digits and '-', with a letter, as
    /// Kubernetes names container ports (an IANA service name, RFC 6335 §5.1). Else <paramref name="error"/> says so.
    /// </summary>
    public static bool IsValidName(string name, out string error)
    {
        error = PortValues.IsServiceName(name) && !name.Any(char.IsAsciiLetterUpper)
            ? ""
            : "a port name is 1 to 15 lower-case letters, digits and '-', with a letter, as Kubernetes names container ports";
        return error.Length == 0;
    }

    /// <summary>
    /// <c>PORT/PROTOCOL</c> as a container port is written: a decimal port from 1 to 65535 without a sign or leading
    /// zero (Cilium reads "010" as octal 8), and TCP, UDP or SCTP in capitals, as Kubernetes' containerPort protocol is.
    /// </summary>
    public static bool TryParse(string text, out NamedPort port, out string error)
    {
        port = default;
        var slash = text.IndexOf('/');
        if (slash < 0)
        {
            error = "a named port is PORT/PROTOCOL, like 8080/TCP";
            return false;
        }

        var number = text[..slash];
        if (number.Length == 0 || number.Length > 5 || !number.All(char.IsAsciiDigit) || number[0] == '0' || int.Parse(number, CultureInfo.InvariantCulture) > 65535)
        {
            error = "the port of a named port is a decimal number from 1 to 65535, without leading zeros";
            return false;
        }

        var protocol = text[(slash + 1)..] switch
        {
            "TCP" => L4Protocol.Tcp,
            "UDP" => L4Protocol.Udp,
            "SCTP" => L4Protocol.Sctp,
            _ => (L4Protocol?)null,
        };
        if (protocol is null)
        {
            error = "the protocol of a named port is TCP, UDP or SCTP";
            return false;
        }

        port = new NamedPort(ushort.Parse(number, CultureInfo.InvariantCulture), protocol.Value);
        error = "";
        return true;
    }

    /// <summary><c>PORT/PROTOCOL</c>, as <see cref="TryParse"/> reads it.</summary>
    public override string ToString() => $"{Port}/{Protocol.ToString().ToUpperInvariant()}";
}
