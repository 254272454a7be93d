using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Source;

namespace Membrane.Policy.Values;

/// <summary>
/// Interprets a Cilium <c>toPorts</c> port entry (port, endPort, protocol) as Cilium does. Validation
/// reports its findings; the rule compiler uses the <see cref="ResolvedPort"/>. One reading serves
/// both, so they cannot disagree (see <see cref="Icmp.IcmpFieldResolver"/>).
/// </summary>
public static class PortProtocolResolver
{
    /// <summary>
    /// Reads one entry; returns null when it has an error (added to <paramref name="findings"/>, as
    /// are warnings). <paramref name="hasDns"/>: the port rule carries DNS rules, which Cilium's
    /// proxy serves on port 53 only.
    /// </summary>
    public static ResolvedPort? Resolve(PortProtocol port, string path, bool hasDns, ICollection<FieldError> findings)
    {
        var errors = findings.Count(f => f.Severity == Severity.Error);
        var protocol = ResolveProtocol(port.Protocol, FieldPath.Child(path, "protocol"), findings);
        if (protocol is not { } l4)
        {
            return null;
        }

        if (!L4Protocols.HasPorts(l4))
        {
            if (port.Port is { } portless && portless.Text is not ("" or "0"))
            {
                findings.Add(Findings.Error(FieldErrorKind.Invalid, FieldPath.Child(path, "port"), portless.Position, $"{L4Protocols.Name(l4)} has no ports; leave port out", portless.Text, code: "MBR4018"));
                return null;
            }

            return ResolvedPort.AllPorts(l4);
        }

        if (port.Port is not { Text.Length: > 0 } portValue)
        {
            findings.Add(Findings.Error(FieldErrorKind.Required, FieldPath.Child(path, "port"), port.Position, "a port must be specified: a number from 0 to 65535 or a port name", hint: "port \"0\" means every port", code: "MBR4019"));
            return null;
        }

        // Cilium checks for a port name before it reads a number (so "0x50" is a name).
        if (PortValues.IsServiceName(portValue.Text))
        {
            if (port.EndPort is { } end)
            {
                findings.Add(Findings.Error(FieldErrorKind.Invalid, FieldPath.Child(path, "endPort"), end.Position, "endPort cannot be used with a named port", end.Text, code: "MBR4020"));
                return null;
            }

            return new ResolvedPort(l4, 0, 0, portValue.Text.ToLowerInvariant());
        }

        if (!PortValues.TryParseNumber(portValue.Text, out var number))
        {
            var octal = portValue.Text.Length > 1 && portValue.Text[0] == '0' && portValue.Text.All(c => char.IsAsciiDigit(c) || c == '_');
            findings.Add(Findings.Error(FieldErrorKind.Invalid, FieldPath.Child(path, "port"), portValue.Position, octal
                ? "Cilium reads a port with a leading 0 as an octal number, and this is no octal number (digits 0-7 only)"
                : "a port is a number from 0 to 65535 or a port name (up to 15 letters, digits and '-', with at least one letter)", portValue.Text,
                octal ? "remove the leading 0 to mean the decimal port" : null, code: "MBR4021"));
            return null;
        }

        if (!PortValues.IsPlainDecimal(portValue.Text) && portValue.Kind == ScalarKind.String)
        {
            // Read as Cilium reads it (PortValues.TryParseNumber), but the author may have meant the digits.
            findings.Add(Findings.Warning(FieldErrorKind.NonStandard, FieldPath.Child(path, "port"), portValue.Position,
                $"Cilium reads this port as Go reads an integer literal{(portValue.Text.Length > 1 && portValue.Text[0] == '0' ? ", a leading 0 making it octal" : "")}: it is port {number}",
                portValue.Text, $"write \"{number}\"", code: "MBR4022"));
        }

        var high = number;
        if (port.EndPort is { } endPort)
        {
            var endPath = FieldPath.Child(path, "endPort");
            if (!int.TryParse(endPort.Text, out var endNumber) || endNumber < 0 || endNumber > 65535)
            {
                findings.Add(Findings.Error(FieldErrorKind.Invalid, endPath, endPort.Position, "endPort is a number from 0 to 65535", endPort.Text, code: "MBR4023"));
            }
            else if (endNumber != 0 && endNumber < number)
            {
                findings.Add(Findings.Error(FieldErrorKind.Invalid, endPath, endPort.Position, $"endPort must not be less than port ({number})", endPort.Text, code: "MBR4024"));
            }
            else if (hasDns && endNumber > number)
            {
                findings.Add(Findings.Error(FieldErrorKind.Invalid, endPath, endPort.Position, "DNS rules do not support port ranges", endPort.Text, code: "MBR4025"));
            }
            else if (endNumber > number)
            {
                high = endNumber;
            }
        }

        if (hasDns && number != 53)
        {
            findings.Add(Findings.Error(FieldErrorKind.Invalid, FieldPath.Child(path, "port"), portValue.Position,
                "DNS rules apply to port 53 only: Cilium's DNS proxy is restricted to the standard DNS port", portValue.Text, code: "MBR4026"));
        }

        if (findings.Count(f => f.Severity == Severity.Error) > errors)
        {
            return null;
        }

        // Port 0 is every port, whatever endPort says.
        return number == 0 ? ResolvedPort.AllPorts(l4) : new ResolvedPort(l4, number, high);
    }

    private static L4Protocol? ResolveProtocol(Scalar? value, string path, ICollection<FieldError> findings)
    {
        if (L4Protocols.TryParse(value?.Text, out var protocol))
        {
            return protocol;
        }

        var text = value!.Value;
        findings.Add(text.Text.StartsWith("ICMP", StringComparison.OrdinalIgnoreCase)
            ? Findings.Error(FieldErrorKind.NotSupported, path, text.Position, "toPorts takes TCP, UDP, SCTP, ANY, VRRP or IGMP", text.Text,
                "ICMP is written with icmps, in a rule of its own: icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]", code: "MBR4027")
            : Findings.Error(FieldErrorKind.NotSupported, path, text.Position, "protocol must be TCP, UDP, SCTP, ANY, VRRP or IGMP", text.Text,
                NameSuggester.DidYouMean(text.Text, L4Protocols.Names), code: "MBR4028"));
        return null;
    }
}
