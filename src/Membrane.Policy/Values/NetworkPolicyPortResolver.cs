using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Source;

namespace Membrane.Policy.Values;

/// <summary>
/// Interprets a Kubernetes NetworkPolicy port entry as the API server validates it: protocol TCP
/// (the default), UDP or SCTP in capitals; port an integer 1-65535 or an IANA port name in lower
/// case; endPort only after a numeric port, not below it. Validation and the rule compiler share it.
/// </summary>
public static class NetworkPolicyPortResolver
{
    public static IReadOnlyList<string> Protocols { get; } = ["TCP", "UDP", "SCTP"];

    public static ResolvedPort? Resolve(NetworkPolicyPort port, string path, ICollection<FieldError> findings)
    {
        var errors = findings.Count;
        var protocol = L4Protocol.Tcp;
        if (port.Protocol is { } protocolText)
        {
            switch (protocolText.Text)
            {
                case "TCP":
                    break;
                case "UDP":
                    protocol = L4Protocol.Udp;
                    break;
                case "SCTP":
                    protocol = L4Protocol.Sctp;
                    break;
                default:
                    var icmp = protocolText.Text.StartsWith("ICMP", StringComparison.OrdinalIgnoreCase);
                    findings.Add(Findings.Error(FieldErrorKind.NotSupported, FieldPath.Child(path, "protocol"), protocolText.Position,
                        icmp ? "Kubernetes NetworkPolicy has no ICMP; the API server rejects it" : "protocol must be TCP, UDP or SCTP", protocolText.Text,
                        icmp ? "allow ICMP with a CiliumNetworkPolicy rule: icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]" : NameSuggester.DidYouMean(protocolText.Text, Protocols), code: "MBR4012"));
                    break;
            }
        }

        int? number = null;
        string? name = null;
        if (port.Port is { } portValue)
        {
            if (portValue.Kind == ScalarKind.Number)
            {
                if (!PortValues.IsPlainDecimal(portValue.Text) || !PortValues.TryParseNumber(portValue.Text, out var n) || n == 0)
                {
                    findings.Add(Findings.Error(FieldErrorKind.Invalid, FieldPath.Child(path, "port"), portValue.Position, "a port number is from 1 to 65535", portValue.Text, code: "MBR4013"));
                }
                else
                {
                    number = n;
                }
            }
            else if (!PortValues.IsServiceName(portValue.Text) || portValue.Text.Any(char.IsAsciiLetterUpper))
            {
                findings.Add(Findings.Error(FieldErrorKind.Invalid, FieldPath.Child(path, "port"), portValue.Position,
                    "a port name is 1-15 lower-case letters, digits and '-', with at least one letter (write numbers without quotes)", portValue.Text, code: "MBR4014"));
            }
            else
            {
                name = portValue.Text;
            }
        }

        var high = number;
        if (port.EndPort is { } endPort)
        {
            var endPath = FieldPath.Child(path, "endPort");
            if (port.Port is null)
            {
                findings.Add(Findings.Error(FieldErrorKind.Required, FieldPath.Child(path, "port"), port.Position, "endPort needs a port to start the range", code: "MBR4015"));
            }
            else if (number is null)
            {
                findings.Add(Findings.Error(FieldErrorKind.Invalid, endPath, endPort.Position, "endPort cannot be used with a named port", endPort.Text, code: "MBR4016"));
            }
            else if (!PortValues.TryParseNumber(endPort.Text, out var end) || end < number)
            {
                findings.Add(Findings.Error(FieldErrorKind.Invalid, endPath, endPort.Position, $"endPort must be a number from port ({number}) to 65535", endPort.Text, code: "MBR4017"));
            }
            else
            {
                high = end;
            }
        }

        if (findings.Count > errors)
        {
            return null;
        }

        // No port: every port of the protocol.
        return name is not null ? new ResolvedPort(protocol, 0, 0, name) : number is { } low ? new ResolvedPort(protocol, low, high!.Value) : ResolvedPort.AllPorts(protocol);
    }
}
