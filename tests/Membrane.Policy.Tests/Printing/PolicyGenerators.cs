using CsCheck;
using Membrane.Policy.Model;

namespace Membrane.Policy.Tests.Printing;

/// <summary>CsCheck generators of random, structurally valid Cilium policies.</summary>
internal static class PolicyGenerators
{
    // Strings that a careless printer would turn into something else when read back:
    // numbers, booleans, null, YAML indicators, quotes, non-ASCII.
    private static readonly Gen<Scalar> Text = Gen.OneOfConst(
        "web", "db", "a-b", "k8s:app", "io.kubernetes.pod.namespace", "80", "0", "true", "null", "~", "yes",
        "with space", "quote\"d", "back\\slash", "colon: x", "- dash", "#hash", "ünïcödé", "*", "").Select(Scalar.String);

    private static readonly Gen<Scalar> Number = Gen.Int[0, 65535].Select(n => Scalar.Number(n));

    // Cilium's CRD types a port as a string; a bare number there is a finding, so ports are quoted.
    private static readonly Gen<Scalar> PortValue = Gen.OneOf(Gen.Int[0, 65535].Select(n => Scalar.String(n.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        Gen.OneOfConst("80", "443", "http", "dns-tcp").Select(Scalar.String));

    private static readonly Gen<Scalar> IcmpType = Gen.OneOf(
        Gen.Int[0, 255].Select(n => Scalar.Number(n)),
        Gen.OneOfConst("EchoRequest", "EchoReply", "echo-request", "DestinationUnreachable", "PacketTooBig").Select(Scalar.String));

    private static Gen<Scalar?> Optional(Gen<Scalar> gen) =>
        Gen.Bool.SelectMany(b => b ? gen.Select(s => (Scalar?)s) : Gen.Const((Scalar?)null));

    private static Gen<T?> Optional<T>(Gen<T> gen)
        where T : class =>
        Gen.Bool.SelectMany(b => b ? gen.Select(s => (T?)s) : Gen.Const((T?)null));

    /// <summary>Absent, present-empty, or a few items: the reader must keep all three apart.</summary>
    private static Gen<PolicyList<T>> List<T>(Gen<T> item, int max = 3) =>
        Gen.Int[0, 2].SelectMany(mode => mode switch
        {
            0 => Gen.Const(default(PolicyList<T>)),
            1 => Gen.Const(PolicyList.From(Array.Empty<T>())),
            _ => item.Array[1, max].Select(PolicyList.From),
        });

    private static readonly Gen<PolicyList<KeyValue>> Labels =
        Gen.Int[0, 2].SelectMany(mode => mode switch
        {
            0 => Gen.Const(default(PolicyList<KeyValue>)),
            1 => Gen.Const(PolicyList.From(Array.Empty<KeyValue>())),
            _ => Gen.Select(Gen.OneOfConst("app", "role", "k8s:io.kubernetes.pod.namespace", "tier").Array[1, 4], Text.Array[4])
                .Select((keys, values) => PolicyList.From(keys.Distinct().Select((k, i) => new KeyValue(Scalar.String(k), values[i])))),
        });

    public static readonly Gen<LabelSelector> Selector =
        Gen.Select(Labels, List(Gen.Select(Text, Gen.OneOfConst("In", "NotIn", "Exists"), List(Text))
            .Select((k, op, values) => new LabelRequirement { Key = k, Operator = Scalar.String(op), Values = values }), 2))
            .Select((labels, expressions) => new LabelSelector { MatchLabels = labels, MatchExpressions = expressions });

    private static readonly Gen<PortRule> PortRule =
        List(Gen.Select(Optional(PortValue), Optional(Number), Optional(Gen.OneOfConst("TCP", "UDP", "ANY").Select(Scalar.String)))
            .Select((port, end, protocol) => new PortProtocol { Port = port, EndPort = end, Protocol = protocol }))
            .Select(ports => new PortRule { Ports = ports });

    private static readonly Gen<IcmpField> IcmpField =
        Gen.Select(Optional(Gen.OneOfConst("IPv4", "IPv6").Select(Scalar.String)), IcmpType,
                List(Gen.OneOf(Number, Gen.OneOfConst("0-4", "frag-needed").Select(Scalar.String))))
            .Select((family, type, codes) => new IcmpField { Family = family, Type = type, Codes = codes });

    private static readonly Gen<CidrRule> CidrRule =
        Gen.Select(Gen.OneOfConst("10.0.0.0/8", "2001:db8::/32").Select(Scalar.String), List(Gen.OneOfConst("10.1.0.0/16", "10.2.0.0/16").Select(Scalar.String)))
            .Select((cidr, except) => new CidrRule { Cidr = cidr, Except = except });

    private static Gen<PeerRule> PeerRule(bool deny) =>
        Gen.Select(List(Selector, 2), List(Gen.OneOfConst("10.0.0.0/8", "192.0.2.1").Select(Scalar.String)), List(CidrRule, 2),
                List(Gen.OneOfConst("world", "cluster", "host").Select(Scalar.String)), List(PortRule, 2),
                List(List(IcmpField).Select(f => new IcmpRule { Fields = f }), 2),
                deny ? Gen.Const((AuthenticationRule?)null) : Optional(Gen.OneOfConst("required", "disabled").Select(m => new AuthenticationRule { Mode = Scalar.String(m) })))
            .Select((endpoints, cidrs, cidrSets, entities, ports, icmps, authentication) => new PeerRule
            {
                Endpoints = endpoints,
                Cidrs = cidrs,
                CidrSets = cidrSets,
                Entities = entities,
                ToPorts = ports,
                Icmps = icmps,
                Authentication = authentication,
            });

    private static readonly Gen<CiliumRule> Rule =
        Gen.Select(Optional(Selector), List(PeerRule(false), 2), List(PeerRule(true), 2), List(PeerRule(false), 2), List(PeerRule(true), 2),
                Optional(Text), Optional(Gen.Select(Gen.Bool, Gen.Bool).Select((i, e) => new DefaultDenyConfig { Ingress = Scalar.Boolean(i), Egress = Scalar.Boolean(e) })))
            .Select((selector, ingress, ingressDeny, egress, egressDeny, description, defaultDeny) => new CiliumRule
            {
                EndpointSelector = selector,
                Ingress = ingress,
                IngressDeny = ingressDeny,
                Egress = egress,
                EgressDeny = egressDeny,
                Description = description,
                EnableDefaultDeny = defaultDeny,
            });

    public static readonly Gen<CiliumPolicy> Policy =
        Gen.Select(Gen.OneOfConst(PolicyKind.CiliumNetworkPolicy, PolicyKind.CiliumClusterwideNetworkPolicy), Gen.OneOfConst("allow-ping", "deny-all", "a.b-c"),
                Optional(Gen.OneOfConst("default", "shop").Select(Scalar.String)), Optional(Rule), List(Rule, 2))
            .Select((kind, name, ns, spec, specs) => new CiliumPolicy
            {
                PolicyKind = kind,
                ApiVersion = Scalar.String("cilium.io/v2"),
                Metadata = new ObjectMetadata { Name = Scalar.String(name), Namespace = ns },
                Spec = spec,
                Specs = specs,
            });
}
