using Membrane.Policy.Diagnostics;
using Membrane.Policy.Icmp;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Values;

namespace Membrane.Policy.Validation;

public sealed partial class PolicyValidator
{
    private const int MaxPorts = 40;
    private const int MaxIcmpFields = 40;

    private static readonly PolicySection[] Sections = [PolicySection.Ingress, PolicySection.IngressDeny, PolicySection.Egress, PolicySection.EgressDeny];

    private void ValidateRule(CiliumRule rule, string path)
    {
        var hostPolicy = rule.NodeSelector is not null;
        if (rule.EndpointSelector is null && rule.NodeSelector is null)
        {
            Error(FieldErrorKind.Required, FieldPath.Child(path, "endpointSelector"), rule.Position,
                "a rule must select what it applies to with endpointSelector (or nodeSelector for the node)", hint: "endpointSelector: {} selects every endpoint", code: "MBR2018");
        }
        else if (rule.EndpointSelector is not null && hostPolicy)
        {
            Error(FieldErrorKind.Forbidden, FieldPath.Child(path, "nodeSelector"), rule.NodeSelector!.Position,
                "a rule cannot have both endpointSelector and nodeSelector; write two rules", code: "MBR2019");
        }

        if (rule.EndpointSelector is { } endpointSelector)
        {
            ValidateSelector(endpointSelector, FieldPath.Child(path, "endpointSelector"));
        }

        if (rule.NodeSelector is { } nodeSelector)
        {
            ValidateSelector(nodeSelector, FieldPath.Child(path, "nodeSelector"));
            Warning(FieldErrorKind.NotEnforced, FieldPath.Child(path, "nodeSelector"), nodeSelector.Position,
                "host policies are not enforced: Membrane enforces policy on endpoints' veths, so this rule filters none of the node's own traffic", code: "MBR2020");
        }

        foreach (var section in Sections)
        {
            var rules = rule.Section(section);
            var sectionPath = FieldPath.Child(path, section.FieldName());
            if (rules.IsPresent && rules.IsEmpty)
            {
                var effect = section.IsDeny() ? "denies nothing" : $"does not turn {(section.IsIngress() ? "ingress" : "egress")} to default-deny";
                var hint = section.IsDeny() ? null : $"to deny all {(section.IsIngress() ? "ingress" : "egress")}, write {section.FieldName()}: [{{}}]";
                Warning(FieldErrorKind.Ineffective, sectionPath, rules.Position.IsKnown ? rules.Position : rule.Position, $"{section.FieldName()} is empty, so this rule {effect}", hint: hint, code: "MBR2021");
            }

            for (var i = 0; i < rules.Count; i++)
            {
                ValidatePeerRule(rules[i], FieldPath.Index(sectionPath, i), section, hostPolicy);
            }
        }

        if (rule.EnableDefaultDeny is { } defaultDeny)
        {
            ValidateBoolean(defaultDeny.Ingress, FieldPath.Child(path, "enableDefaultDeny.ingress"));
            ValidateBoolean(defaultDeny.Egress, FieldPath.Child(path, "enableDefaultDeny.egress"));
        }

        for (var i = 0; i < rule.Labels.Count; i++)
        {
            if (rule.Labels[i].Key is not { Text.Length: > 0 })
            {
                Error(FieldErrorKind.Required, FieldPath.Child(FieldPath.Index(FieldPath.Child(path, "labels"), i), "key"), rule.Labels[i].Position, "a rule label needs a key", code: "MBR2022");
            }
        }
    }

    private void ValidateBoolean(Scalar? value, string path)
    {
        if (value is { } v && v.Kind != Source.ScalarKind.Boolean)
        {
            Error(FieldErrorKind.Invalid, path, v.Position, "must be true or false", v.Text, code: "MBR2023");
        }
    }

    private void ValidatePeerRule(PeerRule rule, string path, PolicySection section, bool hostPolicy)
    {
        ValidatePeerCombination(rule, path, section);
        ValidatePeers(rule, path, section);

        if (!rule.Icmps.IsEmpty && !rule.ToPorts.IsEmpty)
        {
            Error(FieldErrorKind.Forbidden, FieldPath.Child(path, "icmps"), rule.Icmps[0].Position,
                "The ICMPs block may only be present without ToPorts. Define a separate rule to use ToPorts.",
                hint: "write two rules with the same peers: one with toPorts, one with icmps", code: "MBR2024");
        }

        var verb = section.IsDeny() ? "denies" : "allows";
        foreach (var (list, field) in new[] { (rule.ToPorts.IsPresent && rule.ToPorts.IsEmpty, "toPorts"), (rule.Icmps.IsPresent && rule.Icmps.IsEmpty, "icmps") })
        {
            // Go cannot tell an empty list from a missing one, so Cilium reads this rule as L3-only.
            if (list && rule.ToPorts.IsEmpty && rule.Icmps.IsEmpty)
            {
                var position = field == "toPorts" ? rule.ToPorts.Position : rule.Icmps.Position;
                Warning(FieldErrorKind.Ineffective, FieldPath.Child(path, field), position.IsKnown ? position : rule.Position,
                    $"{field} is empty, which Cilium reads as if it were not written: this rule {verb} every port and protocol of its peers, ICMP included", code: "MBR2025");
            }
        }

        for (var i = 0; i < rule.ToPorts.Count; i++)
        {
            var portRule = rule.ToPorts[i];
            if (portRule.Ports.IsEmpty && portRule.Rules is null && portRule.Listener is null && portRule.ServerNames.IsEmpty
                && portRule.TerminatingTls is null && portRule.OriginatingTls is null)
            {
                Warning(FieldErrorKind.Ineffective, FieldPath.Index(FieldPath.Child(path, "toPorts"), i), portRule.Position,
                    $"a toPorts entry without ports matches no traffic, so this entry {verb} nothing", hint: "list the ports, e.g. ports: [{port: \"80\", protocol: TCP}]", code: "MBR2026");
            }

            ValidatePortRule(rule.ToPorts[i], FieldPath.Index(FieldPath.Child(path, "toPorts"), i), section, hostPolicy,
                hasServices: !rule.Services.IsEmpty);
        }

        for (var i = 0; i < rule.Icmps.Count; i++)
        {
            ValidateIcmpRule(rule.Icmps[i], FieldPath.Index(FieldPath.Child(path, "icmps"), i));
        }

        ValidateAuthentication(rule, path);
    }

    private void ValidateIcmpRule(IcmpRule icmp, string path)
    {
        var fieldsPath = FieldPath.Child(path, "fields");
        if (icmp.Fields.Count > MaxIcmpFields)
        {
            Error(FieldErrorKind.TooMany, fieldsPath, icmp.Fields[MaxIcmpFields].Position,
                $"too many ICMP fields ({icmp.Fields.Count}), the max is {MaxIcmpFields}", hint: "split them across several icmps entries", code: "MBR2027");
        }

        if (icmp.Fields.IsEmpty)
        {
            Warning(FieldErrorKind.Ineffective, fieldsPath, icmp.Position, "an icmps entry without fields matches no ICMP message", code: "MBR2028");
        }

        var errors = new List<FieldError>();
        for (var i = 0; i < icmp.Fields.Count; i++)
        {
            IcmpFieldResolver.Resolve(icmp.Fields[i], FieldPath.Index(fieldsPath, i), errors);
        }

        _findings.Items.AddRange(errors);
    }

    private void ValidateAuthentication(PeerRule rule, string path)
    {
        if (rule.Authentication is { } authentication)
        {
            var modePath = FieldPath.Child(path, "authentication.mode");
            string[] modes = ["disabled", "required", "test-always-fail"];
            if (authentication.Mode is not { } mode)
            {
                Error(FieldErrorKind.Required, modePath, authentication.Position, "authentication needs a mode: disabled or required", code: "MBR2029");
            }
            else if (!modes.Contains(mode.Text))
            {
                Error(FieldErrorKind.NotSupported, modePath, mode.Position, "mode must be disabled or required", mode.Text, NameSuggester.DidYouMean(mode.Text, modes), code: "MBR2030");
            }
            else if (mode.Text != "disabled")
            {
                Warning(FieldErrorKind.NotEnforced, FieldPath.Child(path, "authentication"), authentication.Position,
                    "mutual authentication is not enforced: Membrane cannot authenticate peers, so it denies what this rule would allow (fail closed)", code: "MBR2031");
            }
        }

        if (rule.Auth is { } auth)
        {
            Warning(FieldErrorKind.NotEnforced, FieldPath.Child(path, "auth"), auth.Position,
                "auth (the older form of authentication) is not enforced: Membrane cannot authenticate peers, so it denies what this rule would allow (fail closed)",
                hint: "current Cilium writes authentication: {mode: required}", code: "MBR2032");
            if (auth.Type is null)
            {
                Error(FieldErrorKind.Required, FieldPath.Child(path, "auth.type"), auth.Position, "auth needs a type", code: "MBR2033");
            }
        }
    }

    private void ValidatePortRule(PortRule portRule, string path, PolicySection section, bool hostPolicy, bool hasServices)
    {
        var portsPath = FieldPath.Child(path, "ports");
        var rules = portRule.Rules is { IsEmpty: false } r ? r : null;
        var hasDns = rules is not null && rules.Dns.IsPresent;
        if (hasServices)
        {
            Error(FieldErrorKind.Forbidden, path, portRule.Position, "toServices cannot be combined with toPorts (Cilium does not support it)", code: "MBR2034");
        }

        if (portRule.Ports.Count > MaxPorts)
        {
            Error(FieldErrorKind.TooMany, portsPath, portRule.Ports[MaxPorts].Position, $"too many ports ({portRule.Ports.Count}), the max is {MaxPorts}",
                hint: "split them across several toPorts entries", code: "MBR2035");
        }

        var zeroPort = false;
        for (var i = 0; i < portRule.Ports.Count; i++)
        {
            zeroPort |= ValidatePortProtocol(portRule.Ports[i], FieldPath.Index(portsPath, i), hasDns);
        }

        if (rules is not null)
        {
            ValidateL7(portRule, rules, path, section, hostPolicy, zeroPort);
        }

        for (var i = 0; i < portRule.ServerNames.Count; i++)
        {
            if (portRule.ServerNames[i].Text.Length == 0)
            {
                Error(FieldErrorKind.Invalid, FieldPath.Index(FieldPath.Child(path, "serverNames"), i), portRule.ServerNames[i].Position, "a server name cannot be empty", "", code: "MBR2036");
            }
        }

        if (!portRule.ServerNames.IsEmpty && rules is not null && portRule.TerminatingTls is null)
        {
            Error(FieldErrorKind.Forbidden, FieldPath.Child(path, "serverNames"), portRule.ServerNames[0].Position,
                "serverNames are not allowed with L7 rules without TLS termination (terminatingTLS)", code: "MBR2037");
        }

        if (portRule.Listener is { } listener)
        {
            if (section.IsIngress())
            {
                Error(FieldErrorKind.Forbidden, FieldPath.Child(path, "listener"), listener.Position, "a listener is not allowed on ingress", code: "MBR2038");
            }

            if (rules is not null)
            {
                Error(FieldErrorKind.Forbidden, FieldPath.Child(path, "listener"), listener.Position, "a listener is not allowed with L7 rules", code: "MBR2039");
            }

            if (listener.Name is null)
            {
                Error(FieldErrorKind.Required, FieldPath.Child(path, "listener.name"), listener.Position, "a listener needs a name", code: "MBR2040");
            }

            if (listener.EnvoyConfig?.Name is null)
            {
                Error(FieldErrorKind.Required, FieldPath.Child(path, "listener.envoyConfig.name"), listener.Position, "a listener needs envoyConfig with a name", code: "MBR2041");
            }
        }

        // Each of these asks for a proxy. Membrane has none, and enforcing only the port would let
        // through requests the author meant to filter, so the port rule allows nothing instead.
        var proxyFeature = rules is not null ? "L7 rules are" : portRule.Listener is not null ? "a redirect to an Envoy listener is" : !portRule.ServerNames.IsEmpty ? "TLS server names (SNI) are"
            : portRule.TerminatingTls is not null || portRule.OriginatingTls is not null ? "TLS interception is" : null;
        if (proxyFeature is not null && !section.IsDeny())
        {
            Warning(FieldErrorKind.NotEnforced, path, portRule.Position,
                $"{proxyFeature} not enforced: Membrane filters at L3/L4 only, so this port rule allows nothing (fail closed) and this traffic to {DescribePorts(portRule)} is denied", code: "MBR2042");
        }
    }

    private void ValidateL7(PortRule portRule, L7Rules rules, string path, PolicySection section, bool hostPolicy, bool zeroPort)
    {
        var rulesPath = FieldPath.Child(path, "rules");
        var kinds = new[] { rules.Http.IsPresent, rules.Kafka.IsPresent, rules.Dns.IsPresent, rules.L7Proto is not null }.Count(b => b);
        if (kinds > 1)
        {
            Error(FieldErrorKind.Forbidden, rulesPath, rules.Position, "multiple L7 protocol rule types in one port rule; use one of http, kafka, dns or l7proto", code: "MBR2043");
        }

        if (rules.L7.IsPresent && rules.L7Proto is null)
        {
            Error(FieldErrorKind.Required, FieldPath.Child(rulesPath, "l7proto"), rules.Position, "'l7' may only be specified when a 'l7proto' is also specified", code: "MBR2044");
        }

        if (hostPolicy)
        {
            Error(FieldErrorKind.Forbidden, rulesPath, rules.Position, "host policies (nodeSelector) do not support L7 rules", code: "MBR2045");
        }

        if (zeroPort)
        {
            Error(FieldErrorKind.Invalid, rulesPath, rules.Position, "L7 rules cannot be used when a port is 0 (all ports)", code: "MBR2046");
        }

        if (rules.Dns.IsPresent)
        {
            if (section.IsIngress())
            {
                Error(FieldErrorKind.Forbidden, FieldPath.Child(rulesPath, "dns"), rules.Position, "DNS rules are not allowed on ingress", code: "MBR2047");
            }

            if (portRule.Ports.IsEmpty)
            {
                Error(FieldErrorKind.Required, FieldPath.Child(path, "ports"), portRule.Position, "port 53 must be specified for DNS rules", code: "MBR2048");
            }

            for (var i = 0; i < rules.Dns.Count; i++)
            {
                ValidateFqdn(rules.Dns[i], FieldPath.Index(FieldPath.Child(rulesPath, "dns"), i));
            }
        }
        else
        {
            // DNS rules may use UDP or ANY; every other L7 protocol runs over TCP only.
            for (var i = 0; i < portRule.Ports.Count; i++)
            {
                var protocolText = portRule.Ports[i].Protocol?.Text;
                if (L4Protocols.TryParse(protocolText, out var protocol) && protocol != L4Protocol.Tcp)
                {
                    Error(FieldErrorKind.Invalid, FieldPath.Child(FieldPath.Index(FieldPath.Child(path, "ports"), i), "protocol"),
                        portRule.Ports[i].Protocol?.Position ?? portRule.Ports[i].Position,
                        $"L7 rules can only apply to TCP (not {L4Protocols.Name(protocol)}) except for DNS rules", protocolText ?? "", "write protocol: TCP", code: "MBR2049");
                }
            }
        }

    }

    /// <summary>Checks one port entry; returns whether it is port 0 (every port).</summary>
    private bool ValidatePortProtocol(PortProtocol port, string path, bool hasDns)
    {
        var findings = new List<FieldError>();
        var resolved = PortProtocolResolver.Resolve(port, path, hasDns, findings);
        _findings.Items.AddRange(findings);
        return resolved is { IsAllPorts: true } && L4Protocols.HasPorts(resolved.Protocol) && port.Port is not null;
    }

    private static string DescribePorts(PortRule portRule) =>
        portRule.Ports.IsEmpty ? "any port" : string.Join(", ", portRule.Ports.Select(p => $"{p.Port?.Text ?? "?"}{(p.EndPort is { } e ? "-" + e.Text : "")}/{(p.Protocol?.Text is { Length: > 0 } proto ? proto.ToUpperInvariant() : "ANY")}"));
}
