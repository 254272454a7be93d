using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Icmp;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Values;

namespace Membrane.Policy.Validation;

/// <summary>
/// ICMP-aware lint: findings about valid policies that likely do not do what their author meant.
/// It needs no cluster state; "the same peers" means peer fields written identically.
/// </summary>
public static class PolicyLinter
{
    public static ImmutableArray<FieldError> Lint(PolicyDocument document)
    {
        var findings = new DiagnosticBag();
        if (document is CiliumPolicy policy)
        {
            foreach (var (rule, path) in policy.Rules())
            {
                LintSection(rule.Ingress, FieldPath.Child(path, "ingress"), PolicySection.Ingress, findings);
                LintSection(rule.Egress, FieldPath.Child(path, "egress"), PolicySection.Egress, findings);
                LintSection(rule.IngressDeny, FieldPath.Child(path, "ingressDeny"), PolicySection.IngressDeny, findings);
                LintSection(rule.EgressDeny, FieldPath.Child(path, "egressDeny"), PolicySection.EgressDeny, findings);
            }
        }

        return [.. findings.Items];
    }

    private static void LintSection(PolicyList<PeerRule> rules, string path, PolicySection section, DiagnosticBag findings)
    {
        // Each ICMP field is resolved once here and shared by every check below.
        var resolved = rules.Select((r, i) => ResolveIcmp(r, FieldPath.Index(path, i))).ToList();
        var icmp = IcmpByPeers.Of(rules, resolved);
        var warnedPeers = new HashSet<PeerRule>();
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var rulePath = FieldPath.Index(path, i);
            if (!section.IsDeny())
            {
                LintPortsWithoutIcmp(rule, icmp, i, rulePath, section, warnedPeers, findings);
                LintIPv4OnlyEcho(rule, resolved[i], icmp, i, rulePath, section, findings);
            }

            LintDuplicates(rule, resolved[i], rulePath, findings);
            LintUndefinedCodes(resolved[i], findings);
        }
    }

    /// <summary>"Ping broke when I added a port rule": toPorts allows no ICMP from the same peers.</summary>
    private static void LintPortsWithoutIcmp(PeerRule rule, IcmpByPeers icmp, int index, string path, PolicySection section,
        HashSet<PeerRule> warnedPeers, DiagnosticBag findings)
    {
        if (rule.ToPorts.IsEmpty)
        {
            return;
        }

        var peers = icmp.PeersAt(index);
        if (warnedPeers.Contains(peers) || icmp.AllowsAnyIcmp(peers))
        {
            return;
        }

        warnedPeers.Add(peers);
        var (verb, direction) = section.IsIngress() ? ("from", "ingress") : ("to", "egress");
        findings.Warning(FieldErrorKind.Lint, FieldPath.Child(path, "toPorts"), rule.ToPorts[0].Position,
            $"this rule allows ports but no {direction} rule allows ICMP {verb} the same peers, so ping {verb} them will be denied",
            hint: "if ping should work, add a rule with the same peers and icmps: [{fields: [{type: EchoRequest, family: IPv4}, {type: EchoRequest, family: IPv6}]}]", code: "MBR5001");
    }

    /// <summary>Echo allowed over IPv4 only, while the peers are also reachable over IPv6.</summary>
    private static void LintIPv4OnlyEcho(PeerRule rule, List<ResolvedField> fields, IcmpByPeers icmp, int index, string path, PolicySection section, DiagnosticBag findings)
    {
        var v4Echo = fields.FirstOrDefault(f => f.Match is { Family: IcmpFamily.IPv4, Type: 8 });
        if (v4Echo is null || !ReachableOverIPv6(rule))
        {
            return;
        }

        if (icmp.AllowsIPv6Echo(icmp.PeersAt(index)))
        {
            return;
        }

        var verb = section.IsIngress() ? "from" : "to";
        findings.Warning(FieldErrorKind.Lint, FieldPath.Child(path, "icmps"), rule.Icmps[0].Position,
            $"allows ping (Echo Request) over IPv4 only; the peers are reachable over IPv6 too, where ping {verb} them stays denied",
            hint: "add {type: EchoRequest, family: IPv6} if IPv6 ping should work", code: "MBR5002");
    }

    private static void LintDuplicates(PeerRule rule, List<ResolvedField> fields, string path, DiagnosticBag findings)
    {
        var seen = new Dictionary<string, string>();
        foreach (var (field, fieldPath, match) in fields)
        {
            var key = match.ToString();
            if (!seen.TryAdd(key, fieldPath))
            {
                findings.Warning(FieldErrorKind.Lint, fieldPath, field.Position, $"the same ICMP field as {seen[key]} ({key}); one of them can go", code: "MBR5003");
            }
        }

        var ports = new Dictionary<string, string>();
        for (var i = 0; i < rule.ToPorts.Count; i++)
        {
            for (var j = 0; j < rule.ToPorts[i].Ports.Count; j++)
            {
                var port = rule.ToPorts[i].Ports[j];
                var portPath = FieldPath.Index(FieldPath.Child(FieldPath.Index(FieldPath.Child(path, "toPorts"), i), "ports"), j);
                L4Protocols.TryParse(port.Protocol?.Text, out var protocol);
                var key = $"{port.Port?.Text}-{port.EndPort?.Text}/{L4Protocols.Name(protocol)}";
                if (!ports.TryAdd(key, portPath))
                {
                    findings.Warning(FieldErrorKind.Lint, portPath, port.Position, $"the same port as {ports[key]}; one of them can go", code: "MBR5004");
                }
            }
        }
    }

    private static void LintUndefinedCodes(List<ResolvedField> fields, DiagnosticBag findings)
    {
        foreach (var (field, fieldPath, match) in fields)
        {
            if (match.AllCodes || IcmpTypes.Find(match.Family, match.Type) is not { } info)
            {
                continue;
            }

            for (var k = 0; k < match.Codes.Length; k++)
            {
                var range = match.Codes[k];
                var defined = Enumerable.Range(range.Low, range.High - range.Low + 1).Any(c => info.DefinesCode((byte)c));
                if (!defined)
                {
                    var codePath = match.Codes.Length == 1 ? FieldPath.Child(fieldPath, "code") : FieldPath.Index(FieldPath.Child(fieldPath, "code"), k);
                    var only = info.DefinedCodes.Count == 1 && info.DefinedCodes[0].Low == info.DefinedCodes[0].High ? "" : "s";
                    findings.Warning(FieldErrorKind.Lint, codePath, field.Codes[k].Position,
                        $"{info.Display} defines code{only} {string.Join(", ", info.DefinedCodes)} only, so code {range} never matches", range.ToString(), code: "MBR5005");
                }
            }
        }
    }

    /// <summary>The rule's ICMP fields that resolve; invalid ones are validation's to report, not lint's.</summary>
    private static List<ResolvedField> ResolveIcmp(PeerRule rule, string path)
    {
        var fields = new List<ResolvedField>();
        var ignored = new List<FieldError>();
        for (var i = 0; i < rule.Icmps.Count; i++)
        {
            for (var j = 0; j < rule.Icmps[i].Fields.Count; j++)
            {
                var field = rule.Icmps[i].Fields[j];
                var fieldPath = FieldPath.Index(FieldPath.Child(FieldPath.Index(FieldPath.Child(path, "icmps"), i), "fields"), j);
                if (IcmpFieldResolver.Resolve(field, fieldPath, ignored) is { } match)
                {
                    fields.Add(new ResolvedField(field, fieldPath, match));
                }
            }
        }

        return fields;
    }

    /// <summary>
    /// What each set of peers of a section is allowed over ICMP, found in one pass so that the
    /// checks above cost a lookup per rule rather than a scan of the section (a 10,000-rule section
    /// would otherwise take 10,000² comparisons). A rule allows ICMP to its peers if it is L3-only
    /// (every protocol) or has a matching icmps field; a rule without peers allows its ICMP to every
    /// peer. "The same peers" means peer fields written identically (<see cref="PeerRule"/> has
    /// value equality, positions aside).
    /// </summary>
    private sealed class IcmpByPeers
    {
        private readonly PeerRule[] _peers;
        private readonly Dictionary<PeerRule, (bool AnyIcmp, bool IPv6Echo)> _allowed = [];
        private (bool AnyIcmp, bool IPv6Echo) _toEveryPeer;

        private IcmpByPeers(PeerRule[] peers) => _peers = peers;

        public static IcmpByPeers Of(PolicyList<PeerRule> rules, List<List<ResolvedField>> resolved)
        {
            var result = new IcmpByPeers([.. rules.Select(r => PolicyLinter.PeersOf(r))]);
            for (var i = 0; i < rules.Count; i++)
            {
                var rule = rules[i];
                var l3Only = rule.HasPeers && rule.ToPorts.IsEmpty && rule.Icmps.IsEmpty;
                var anyIcmp = l3Only || resolved[i].Count > 0;
                var ipv6Echo = l3Only || resolved[i].Exists(f => f.Match is { Family: IcmpFamily.IPv6, Type: 128 });
                if (!rule.HasPeers)
                {
                    result._toEveryPeer = (result._toEveryPeer.AnyIcmp || anyIcmp, result._toEveryPeer.IPv6Echo || ipv6Echo);
                }

                var before = result._allowed.GetValueOrDefault(result._peers[i]);
                result._allowed[result._peers[i]] = (before.AnyIcmp || anyIcmp, before.IPv6Echo || ipv6Echo);
            }

            return result;
        }

        /// <summary>The peer fields of rule <paramref name="index"/>, computed once.</summary>
        public PeerRule PeersAt(int index) => _peers[index];

        public bool AllowsAnyIcmp(PeerRule peers) => _toEveryPeer.AnyIcmp || _allowed.GetValueOrDefault(peers).AnyIcmp;

        public bool AllowsIPv6Echo(PeerRule peers) => _toEveryPeer.IPv6Echo || _allowed.GetValueOrDefault(peers).IPv6Echo;
    }

    /// <summary>The rule with only its peer fields, for "same peers" comparisons.</summary>
    private static PeerRule PeersOf(PeerRule rule) => rule with
    {
        ToPorts = default,
        Icmps = default,
        Authentication = null,
        Auth = null,
    };

    /// <summary>Endpoints and most entities are dual-stack; CIDR peers only if a prefix is IPv6.</summary>
    private static bool ReachableOverIPv6(PeerRule rule)
    {
        if (!rule.Cidrs.IsEmpty || !rule.CidrSets.IsEmpty)
        {
            return rule.Cidrs.Any(c => c.Text.Contains(':')) || rule.CidrSets.Any(c => c.Cidr?.Text.Contains(':') == true);
        }

        if (!rule.Entities.IsEmpty)
        {
            return rule.Entities.Any(e => e.Text != "world-ipv4");
        }

        return true;
    }

    private sealed record ResolvedField(IcmpField Field, string Path, IcmpMatch Match);
}
