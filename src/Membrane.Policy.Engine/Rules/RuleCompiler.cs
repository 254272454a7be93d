using Membrane.Policy.Diagnostics;
using System.Collections.Immutable;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Selection;
using Membrane.Policy.Icmp;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Rules;

/// <summary>
/// Turns validated policy documents into <see cref="SubjectRule"/>s: selectors scoped to their
/// namespace, peers, and L4 matches. It expects policies that passed validation; what Membrane
/// cannot enforce compiles to rules that allow nothing (fail closed).
/// </summary>
public static class RuleCompiler
{
    private static readonly PolicySection[] Sections = [PolicySection.Ingress, PolicySection.IngressDeny, PolicySection.Egress, PolicySection.EgressDeny];

    public static ImmutableArray<SubjectRule> Compile(PolicyDocument document) => document switch
    {
        CiliumPolicy cilium => [.. CompileCilium(cilium)],
        NetworkPolicy networkPolicy => [.. CompileNetworkPolicy(networkPolicy)],
        _ => [],
    };

    /// <summary>Every CIDR a document names, for which the node allocates CIDR identities.</summary>
    public static IEnumerable<Cidr> Prefixes(IEnumerable<SubjectRule> rules) =>
        rules.SelectMany(r => r.Rules).SelectMany(r => r.Peers).OfType<CidrPeer>()
            .SelectMany(p => p.Except.Prepend(p.Prefix)).Distinct();

    private static IEnumerable<SubjectRule> CompileCilium(CiliumPolicy policy)
    {
        // A CiliumNetworkPolicy lives in a namespace (default if unset) and selects only there;
        // clusterwide policies and bare imported rules are not limited to a namespace.
        var ns = policy.PolicyKind == PolicyKind.CiliumNetworkPolicy ? policy.Metadata?.Namespace?.Text ?? "default" : null;
        // Bare imported rules have no name; their path within the file says which rule they are.
        var name = policy.Metadata?.Name?.Text ?? "";
        foreach (var (rule, path) in policy.Rules())
        {
            // Host policies select nodes, which Membrane does not enforce on (validation warns).
            if (rule.EndpointSelector is not { } selector)
            {
                continue;
            }

            var origin = new RuleOrigin(policy.PolicyKind.ToString(), ns, name, path, rule.Position);
            var compiled = ImmutableArray.CreateBuilder<CompiledPeerRule>();
            foreach (var section in Sections)
            {
                var list = rule.Section(section);
                for (var i = 0; i < list.Count; i++)
                {
                    var sectionPath = $"{FieldPath.Index(FieldPath.Child(path, section.FieldName()), i)}";
                    compiled.Add(CompilePeerRule(list[i], section, ns, origin with { Path = sectionPath, Position = list[i].Position }));
                }
            }

            // Cilium's default: a rule with any ingress (or ingressDeny) rule turns ingress to
            // default-deny for the endpoints it selects, unless enableDefaultDeny says otherwise.
            var ingressDeny = rule.EnableDefaultDeny?.Ingress is { } i2 ? i2.IsTrue : !rule.Ingress.IsEmpty || !rule.IngressDeny.IsEmpty;
            var egressDeny = rule.EnableDefaultDeny?.Egress is { } e2 ? e2.IsTrue : !rule.Egress.IsEmpty || !rule.EgressDeny.IsEmpty;
            yield return new SubjectRule(EndpointSelector.From(selector, ns), ingressDeny, egressDeny, compiled.ToImmutable(), origin);
        }
    }

    private static CompiledPeerRule CompilePeerRule(PeerRule rule, PolicySection section, string? ns, RuleOrigin origin)
    {
        var direction = section.IsIngress() ? TrafficDirection.Ingress : TrafficDirection.Egress;
        var verdict = section.IsDeny() ? Verdict.Deny : Verdict.Allow;
        var peers = ImmutableArray.CreateBuilder<PeerSelector>();
        var requires = rule.Requires.Select(r => EndpointSelector.From(r, null)).ToList();
        foreach (var endpoints in rule.Endpoints)
        {
            var selector = EndpointSelector.From(endpoints, ns);
            peers.Add(new EndpointPeer(requires.Aggregate(selector, (s, r) => s.And(r))));
        }

        // Values are read by the resolvers validation uses; a value that does not read selects no
        // peer (fail closed), and validation has refused the policy before it gets here.
        var ignored = new List<FieldError>();
        foreach (var cidr in rule.Cidrs)
        {
            peers.Add(CidrResolver.Resolve(cidr, "", allowBareAddress: true, ignored) is { } prefix ? new CidrPeer(prefix, []) : new NoPeer("an unreadable CIDR"));
        }

        foreach (var set in rule.CidrSets)
        {
            if (set.Cidr is not { } cidrText)
            {
                peers.Add(new NoPeer("CIDR group"));
            }
            else
            {
                peers.Add(CidrResolver.ResolveSet(cidrText, set.Except, "", "", strict: false, ignored) is { } resolved
                    ? new CidrPeer(resolved.Prefix, resolved.Except)
                    : new NoPeer("an unreadable CIDR set"));
            }
        }

        foreach (var entity in rule.Entities)
        {
            peers.Add(entity.Text == "all" ? AnyPeer.Instance : new EntityPeer(entity.Text));
        }

        if (!rule.Nodes.IsEmpty) peers.Add(new NoPeer("nodes"));
        if (!rule.Groups.IsEmpty) peers.Add(new NoPeer("groups"));
        if (!rule.Fqdns.IsEmpty) peers.Add(new NoPeer("toFQDNs"));
        if (!rule.Services.IsEmpty) peers.Add(new NoPeer("toServices"));

        var l4 = CompileL4(rule, verdict);

        // A rule with ports (or ICMP) but no peers applies to every peer; a rule with neither
        // allows nothing and only turns its direction to default-deny.
        if (peers.Count == 0 && !rule.HasPeers && l4.Length > 0 && !(rule.ToPorts.IsEmpty && rule.Icmps.IsEmpty))
        {
            peers.Add(AnyPeer.Instance);
        }

        // Mutual authentication cannot be checked, so the allow it guards is withheld (fail closed).
        if (verdict == Verdict.Allow && (rule.Authentication?.Mode?.Text is "required" or "test-always-fail" || rule.Auth is not null))
        {
            return new CompiledPeerRule(direction, verdict, [new NoPeer("authentication")], l4, origin);
        }

        return new CompiledPeerRule(direction, verdict, peers.ToImmutable(), l4, origin);
    }

    private static ImmutableArray<L4Match> CompileL4(PeerRule rule, Verdict verdict)
    {
        if (rule.ToPorts.IsEmpty && rule.Icmps.IsEmpty)
        {
            return [AllTraffic.Instance];
        }

        var matches = ImmutableArray.CreateBuilder<L4Match>();
        foreach (var portRule in rule.ToPorts)
        {
            // A port rule that asks for a proxy (L7, listener, SNI, TLS) allows nothing: enforcing
            // only the port would let through what its author meant to filter.
            var needsProxy = portRule.Rules is { IsEmpty: false } || portRule.Listener is not null || !portRule.ServerNames.IsEmpty
                || portRule.TerminatingTls is not null || portRule.OriginatingTls is not null;
            if (needsProxy && verdict == Verdict.Allow)
            {
                continue;
            }

            var hasDns = portRule.Rules is { } l7 && l7.Dns.IsPresent;
            foreach (var port in portRule.Ports)
            {
                // An entry that does not read allows nothing (fail closed); validation refused it.
                if (PortProtocolResolver.Resolve(port, "", hasDns, new List<FieldError>()) is { } resolved)
                {
                    AddPort(matches, resolved);
                }
            }
        }

        foreach (var icmp in rule.Icmps)
        {
            foreach (var field in icmp.Fields)
            {
                if (IcmpFieldResolver.Resolve(field, "", new List<Diagnostics.FieldError>()) is { } match)
                {
                    matches.Add(new IcmpL4Match(match));
                }
            }
        }

        return matches.ToImmutable();
    }

    /// <summary>The matches of one resolved port entry: a named port, or a range for each protocol it stands for.</summary>
    private static void AddPort(ImmutableArray<L4Match>.Builder matches, ResolvedPort port)
    {
        var protocols = IpProtocols.Of(port.Protocol).ToImmutableArray();
        if (port.Name is { } name)
        {
            matches.Add(new NamedPortMatch(name, protocols));
            return;
        }

        matches.AddRange(protocols.Select(p => new PortRange(p, (ushort)port.Low, (ushort)port.High)));
    }

    private static IEnumerable<SubjectRule> CompileNetworkPolicy(NetworkPolicy policy)
    {
        if (policy.Spec is not { } spec || spec.PodSelector is not { } podSelector)
        {
            yield break;
        }

        var ns = policy.Metadata?.Namespace?.Text ?? "default";
        var origin = new RuleOrigin("NetworkPolicy", ns, policy.Metadata?.Name?.Text ?? "", "spec", spec.Position);

        // Kubernetes: without policyTypes, a policy is about ingress, and also egress if it has egress rules.
        var types = spec.PolicyTypes.IsEmpty
            ? spec.Egress.IsPresent ? ["Ingress", "Egress"] : new[] { "Ingress" }
            : spec.PolicyTypes.Select(t => t.Text).ToArray();
        var rules = ImmutableArray.CreateBuilder<CompiledPeerRule>();
        if (types.Contains("Ingress"))
        {
            AddNetworkPolicyRules(spec.Ingress, "ingress", TrafficDirection.Ingress, ns, origin, rules);
        }

        if (types.Contains("Egress"))
        {
            AddNetworkPolicyRules(spec.Egress, "egress", TrafficDirection.Egress, ns, origin, rules);
        }

        yield return new SubjectRule(EndpointSelector.From(podSelector, ns), types.Contains("Ingress"), types.Contains("Egress"), rules.ToImmutable(), origin);
    }

    private static void AddNetworkPolicyRules(PolicyList<NetworkPolicyRule> list, string field, TrafficDirection direction, string ns, RuleOrigin origin,
        ImmutableArray<CompiledPeerRule>.Builder rules)
    {
        for (var i = 0; i < list.Count; i++)
        {
            var rule = list[i];
            var peers = ImmutableArray.CreateBuilder<PeerSelector>();
            foreach (var peer in rule.Peers)
            {
                if (peer.IpBlock is { Cidr: { } cidrText } block)
                {
                    peers.Add(CidrResolver.ResolveSet(cidrText, block.Except, "", "", strict: true, new List<FieldError>()) is { } resolved
                        ? new CidrPeer(resolved.Prefix, resolved.Except) { SelectsEndpoints = true }
                        : new NoPeer("an unreadable ipBlock"));
                    continue;
                }

                // A pod selector alone means pods of the policy's namespace; a namespace selector
                // picks namespaces by their labels, which endpoints carry under a prefix (as in Cilium).
                var pods = peer.PodSelector is { } p ? EndpointSelector.From(p, peer.NamespaceSelector is null ? ns : null) : null;
                var namespaces = peer.NamespaceSelector is { } n ? EndpointSelector.From(n, null, Label.NamespaceLabelsPrefix) : null;
                var selector = (pods, namespaces) switch
                {
                    ({ } a, { } b) => a.And(b),
                    ({ } a, null) => a,
                    (null, { } b) => b,
                    _ => null,
                };
                if (selector is not null)
                {
                    peers.Add(new EndpointPeer(selector));
                }
            }

            if (rule.Peers.IsEmpty)
            {
                peers.Add(AnyPeer.Instance);
            }

            var l4 = ImmutableArray.CreateBuilder<L4Match>();
            foreach (var port in rule.Ports)
            {
                if (NetworkPolicyPortResolver.Resolve(port, "", new List<FieldError>()) is { } resolved)
                {
                    AddPort(l4, resolved);
                }
            }

            if (rule.Ports.IsEmpty)
            {
                l4.Add(AllTraffic.Instance);
            }

            rules.Add(new CompiledPeerRule(direction, Verdict.Allow, peers.ToImmutable(), l4.ToImmutable(),
                origin with { Path = $"spec.{field}[{i}]", Position = rule.Position }));
        }
    }
}
