using System.Net;
using CsCheck;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Reference;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Model;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Tests;

/// <summary>
/// Random policies, identities and flows over a small universe, so that rules, peers and packets
/// overlap often enough to exercise deny precedence, prefixes and defaults.
/// </summary>
internal static class EngineGenerators
{
    private static readonly string[] Apps = ["a", "b", "c"];
    private static readonly string[] Namespaces = ["default", "other"];

    private static Gen<LabelSelector> Selector =>
        Gen.Int[0, 3].SelectMany(kind => kind switch
        {
            0 => Gen.Const(new LabelSelector()),
            1 => Gen.OneOfConst(Apps).Select(app => new LabelSelector { MatchLabels = [new KeyValue(Scalar.String("app"), Scalar.String(app))] }),
            2 => Gen.OneOfConst(Apps).Array[1, 2].Select(apps => new LabelSelector
            {
                MatchExpressions = [new Model.LabelRequirement { Key = Scalar.String("app"), Operator = Scalar.String("In"), Values = PolicyList.From(apps.Distinct().Select(Scalar.String)) }],
            }),
            _ => Gen.OneOfConst(Apps).Select(app => new LabelSelector
            {
                MatchExpressions = [new Model.LabelRequirement { Key = Scalar.String("app"), Operator = Scalar.String("NotIn"), Values = [Scalar.String(app)] }],
            }),
        });

    private static Gen<PortRule> Ports =>
        Gen.Select(Gen.OneOfConst(0, 1, 80, 443, 8000), Gen.OneOfConst(0, 0, 81, 8443, 65535), Gen.OneOfConst("TCP", "UDP", "ANY"))
            .Select((port, end, protocol) => new PortRule
            {
                Ports = [new PortProtocol
                {
                    Port = Scalar.String(port.ToString()),
                    EndPort = end > port && port != 0 ? Scalar.Number(end) : null,
                    Protocol = Scalar.String(protocol),
                }],
            });

    private static Gen<IcmpField> Icmp =>
        Gen.Select(Gen.OneOfConst("IPv4", "IPv6"), Gen.OneOfConst(0, 3, 8, 128, 135), Gen.OneOfConst("", "0", "4", "0-3"))
            .Select((family, type, code) => new IcmpField
            {
                Family = Scalar.String(family),
                Type = Scalar.Number(type),
                Codes = code.Length == 0 ? default : [Scalar.String(code)],
            });

    private static Gen<PeerRule> PeerRule(bool deny) =>
        Gen.Select(Gen.Int[0, 4], Selector, Gen.OneOfConst("world", "cluster", "all", "host"), Gen.Int[0, 2], Ports.Array[1, 2], Icmp.Array[1, 3])
            .Select((peerKind, selector, entity, l4Kind, ports, icmps) => new Model.PeerRule
            {
                Endpoints = peerKind == 0 ? [selector] : default,
                Entities = peerKind == 1 ? [Scalar.String(entity)] : default,
                CidrSets = peerKind == 2 ? [new CidrRule { Cidr = Scalar.String("10.0.0.0/8"), Except = [Scalar.String("10.1.0.0/16")] }] : default,
                Cidrs = peerKind == 3 ? [Scalar.String("10.1.2.0/24")] : default,
                ToPorts = l4Kind == 1 ? PolicyList.From(ports) : default,
                Icmps = l4Kind == 2 ? [new IcmpRule { Fields = PolicyList.From(icmps) }] : default,
            });

    private static Gen<CiliumRule> Rule =>
        Gen.Select(Selector, PeerRule(false).Array[0, 2], PeerRule(true).Array[0, 1], PeerRule(false).Array[0, 2], PeerRule(true).Array[0, 1], Gen.Int[0, 3])
            .Select((subject, ingress, ingressDeny, egress, egressDeny, defaultDeny) => new CiliumRule
            {
                EndpointSelector = subject,
                Ingress = PolicyList.From(ingress),
                IngressDeny = PolicyList.From(ingressDeny),
                Egress = PolicyList.From(egress),
                EgressDeny = PolicyList.From(egressDeny),
                EnableDefaultDeny = defaultDeny == 0 ? new DefaultDenyConfig { Ingress = Scalar.Boolean(false), Egress = Scalar.Boolean(false) } : null,
            });

    public static Gen<List<SubjectRule>> Rules =>
        Gen.Select(Gen.Bool, Rule).Select((clusterwide, rule) => new CiliumPolicy
        {
            PolicyKind = clusterwide ? PolicyKind.CiliumClusterwideNetworkPolicy : PolicyKind.CiliumNetworkPolicy,
            Metadata = new ObjectMetadata { Name = Scalar.String("p"), Namespace = clusterwide ? null : Scalar.String("default") },
            Spec = rule,
        }).Array[1, 4].Select(policies => policies.SelectMany(p => RuleCompiler.Compile(p)).ToList());

    /// <summary>Endpoint label sets: an app in a namespace.</summary>
    public static Gen<LabelSet> EndpointLabels =>
        Gen.Select(Gen.OneOfConst(Apps), Gen.OneOfConst(Namespaces))
            .Select((app, ns) => LabelSet.Parse($"k8s:app={app},k8s:{Label.NamespaceKey}={ns}"));

    /// <summary>A world: rules, the identity set they run over (with CIDR identities), and the endpoint.</summary>
    public static Gen<(List<SubjectRule> Rules, IdentitySet Identities, Identity Endpoint)> World =>
        Gen.Select(Rules, EndpointLabels.Array[1, 5]).Select((rules, labels) =>
        {
            var identities = new IdentitySet();
            foreach (var prefix in RuleCompiler.Prefixes(rules))
            {
                identities.AddCidr(prefix);
            }

            var endpoints = labels.Select(l => identities.AddEndpoint(l)).ToList();
            return (rules, identities, endpoints[0]);
        });

    public static Gen<Func<IdentitySet, Flow>> Flow =>
        Gen.Select(Gen.Bool, Gen.Int[0, 1000], Gen.OneOfConst(IpProtocols.Tcp, IpProtocols.Udp, IpProtocols.Sctp, IpProtocols.Icmp, IpProtocols.IcmpV6),
                Gen.OneOfConst<ushort>(0, 1, 79, 80, 81, 443, 8000, 8443, 65535), Gen.OneOfConst<byte>(0, 3, 8, 128, 135), Gen.OneOfConst<byte>(0, 1, 3, 4))
            .Select((ingress, pick, protocol, port, type, code) => new Func<IdentitySet, Flow>(identities =>
            {
                // Peers: any known identity, or an address in or out of the policies' CIDRs.
                var all = identities.All.OrderBy(i => i.Id).ToList();
                var addresses = new[] { "10.1.2.3", "10.1.9.9", "10.200.0.1", "192.0.2.1" };
                var peer = pick % 5 == 0 ? identities.Lookup(IPAddress.Parse(addresses[pick % addresses.Length])) : all[pick % all.Count];
                return new Flow(ingress ? TrafficDirection.Ingress : TrafficDirection.Egress, peer, protocol, port, type, code);
            }));
}
