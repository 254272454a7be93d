using Membrane.Policy.Model;
using Membrane.Policy.Source;

namespace Membrane.Policy.Reading;

/// <summary>Binds the fields of a Cilium rule (<c>spec</c>) into <see cref="CiliumRule"/>.</summary>
internal static class CiliumRuleBinder
{
    /// <summary>Peer fields that exist in both directions, after their from/to prefix.</summary>
    private static readonly string[] PeerFields = ["Endpoints", "Requires", "CIDR", "CIDRSet", "Entities", "Nodes", "Groups"];

    public static CiliumRule BindRule(MappingReader r) => r.Finish(new CiliumRule
    {
        Position = r.Position,
        EndpointSelector = r.Object("endpointSelector", BindSelector),
        NodeSelector = r.Object("nodeSelector", BindSelector),
        Ingress = r.ObjectList("ingress", m => BindPeerRule(m, PolicySection.Ingress)),
        IngressDeny = r.ObjectList("ingressDeny", m => BindPeerRule(m, PolicySection.IngressDeny)),
        Egress = r.ObjectList("egress", m => BindPeerRule(m, PolicySection.Egress)),
        EgressDeny = r.ObjectList("egressDeny", m => BindPeerRule(m, PolicySection.EgressDeny)),
        EnableDefaultDeny = r.Object("enableDefaultDeny", m => m.Finish(new DefaultDenyConfig
        {
            Position = m.Position,
            Ingress = m.Scalar("ingress"),
            Egress = m.Scalar("egress"),
        })),
        Description = r.String("description"),
        Labels = r.ObjectList("labels", m => m.Finish(new RuleLabel
        {
            Position = m.Position,
            Key = m.String("key"),
            Value = m.String("value"),
            Source = m.String("source"),
        })),
        Log = r.Object("log", m => m.Finish(new LogConfig { Position = m.Position, Value = m.String("value") })),
    });

    public static LabelSelector BindSelector(MappingReader r)
    {
        var matchLabels = r.Map("matchLabels");
        var selector = new LabelSelector
        {
            Position = r.Position,
            MatchLabels = matchLabels,
            MatchExpressions = r.ObjectList("matchExpressions", m => m.Finish(new LabelRequirement
            {
                Position = m.Position,
                Key = m.String("key"),
                Operator = m.String("operator"),
                Values = m.StringList("values"),
            })),
        };

        // The commonest silent mistake in the wild: a label indented beside matchLabels instead
        // of under it. Cilium drops the unknown key, the selector becomes {}, and it selects all.
        return r.Finish(selector, key => matchLabels.IsEmpty && !key.Contains("match", StringComparison.OrdinalIgnoreCase)
            ? "a label written beside matchLabels instead of under it? Indent it under matchLabels; as written, Cilium reads the selector as {} and selects every endpoint"
            : null);
    }

    public static PeerRule BindPeerRule(MappingReader r, PolicySection section)
    {
        var egress = !section.IsIngress();
        var deny = section.IsDeny();
        var rule = new PeerRule
        {
            Position = r.Position,
            Endpoints = r.ObjectList(section.PeerField("Endpoints"), BindSelector),
            Requires = r.ObjectList(section.PeerField("Requires"), BindSelector),
            Cidrs = r.StringList(section.PeerField("CIDR")),
            CidrSets = r.ObjectList(section.PeerField("CIDRSet"), BindCidrRule),
            Entities = r.StringList(section.PeerField("Entities")),
            Nodes = r.ObjectList(section.PeerField("Nodes"), BindSelector),
            Groups = r.ObjectList(section.PeerField("Groups"), BindGroups),
            Services = egress ? r.ObjectList("toServices", BindService) : default,
            Fqdns = egress && !deny ? r.ObjectList("toFQDNs", BindFqdn) : default,
            ToPorts = r.ObjectList("toPorts", PortRuleBinders[deny ? 1 : 0]),
            Icmps = r.ObjectList("icmps", BindIcmpRule),
            Authentication = deny ? null : r.Object("authentication", m => m.Finish(new AuthenticationRule { Position = m.Position, Mode = m.String("mode") })),
            Auth = deny ? null : r.Object("auth", m => m.Finish(new LegacyAuthRule { Position = m.Position, Type = m.String("type") })),
        };
        return r.Finish(rule, DirectionHints[(int)section]);
    }

    // Made once, not per rule: a lambda capturing deny or the section was a delegate and a closure for every rule.
    private static readonly Func<MappingReader, PortRule>[] PortRuleBinders = [m => BindPortRule(m, deny: false), m => BindPortRule(m, deny: true)];

    // Indexed by the section's value (Enum.GetValues lists them in order of value, from 0).
    private static readonly Func<string, string?>[] DirectionHints = [.. Enum.GetValues<PolicySection>().Select(s => (Func<string, string?>)(key => DirectionHint(key, s)))];

    /// <summary>Explains a peer field written in the wrong direction, which spelling hints miss.</summary>
    private static string? DirectionHint(string key, PolicySection section)
    {
        var name = section.FieldName();
        if (section.IsIngress() && key.StartsWith("to", StringComparison.Ordinal) && (PeerFields.Contains(key[2..]) || key is "toFQDNs" or "toServices"))
        {
            return key is "toFQDNs" or "toServices"
                ? $"{key} exists only in egress rules"
                : $"{name} rules name their peers with from… fields; did you mean \"from{key[2..]}\"?";
        }

        if (!section.IsIngress() && key.StartsWith("from", StringComparison.Ordinal) && PeerFields.Contains(key[4..]))
        {
            return $"{name} rules name their peers with to… fields; did you mean \"to{key[4..]}\"?";
        }

        if (section.IsDeny() && key is "authentication" or "auth")
        {
            return $"{name} rules cannot require authentication";
        }

        if (section == PolicySection.EgressDeny && key == "toFQDNs")
        {
            return "egressDeny does not support toFQDNs; Cilium has no FQDN deny rules";
        }

        return null;
    }

    private static CidrRule BindCidrRule(MappingReader r) => r.Finish(new CidrRule
    {
        Position = r.Position,
        Cidr = r.String("cidr"),
        CidrGroupRef = r.String("cidrGroupRef"),
        CidrGroupSelector = r.Object("cidrGroupSelector", BindSelector),
        Except = r.StringList("except"),
    });

    private static GroupsRule BindGroups(MappingReader r) => r.Finish(new GroupsRule
    {
        Position = r.Position,
        Aws = r.Object("aws", m => m.Finish(new AwsGroup
        {
            Position = m.Position,
            Labels = m.Map("labels"),
            SecurityGroupsIds = m.StringList("securityGroupsIds"),
            SecurityGroupsNames = m.StringList("securityGroupsNames"),
            Region = m.String("region"),
        })),
    });

    private static ServiceSelector BindService(MappingReader r) => r.Finish(new ServiceSelector
    {
        Position = r.Position,
        K8sService = r.Object("k8sService", m => m.Finish(new ServiceReference
        {
            Position = m.Position,
            ServiceName = m.String("serviceName"),
            Namespace = m.String("namespace"),
        })),
        K8sServiceSelector = r.Object("k8sServiceSelector", m => m.Finish(new ServiceLabelSelector
        {
            Position = m.Position,
            Selector = m.Object("selector", BindSelector),
            Namespace = m.String("namespace"),
        })),
    });

    private static FqdnSelector BindFqdn(MappingReader r) => r.Finish(new FqdnSelector
    {
        Position = r.Position,
        MatchName = r.String("matchName"),
        MatchPattern = r.String("matchPattern"),
    });

    private static PortRule BindPortRule(MappingReader r, bool deny)
    {
        var ports = r.ObjectList("ports", m => m.Finish(new PortProtocol
        {
            Position = m.Position,
            Port = m.String("port"),
            EndPort = m.Integer("endPort"),
            Protocol = m.String("protocol"),
        }));

        // Deny rules take ports only: there is nothing to inspect in traffic that is dropped.
        if (deny)
        {
            return r.Finish(new PortRule { Position = r.Position, Ports = ports }, key => key is "rules" or "listener" or "serverNames" or "terminatingTLS" or "originatingTLS"
                ? "deny rules match ports only; L7 rules, TLS, SNI and listeners belong to allow rules"
                : null);
        }

        return r.Finish(new PortRule
        {
            Position = r.Position,
            Ports = ports,
            Rules = r.Object("rules", BindL7Rules),
            TerminatingTls = r.Object("terminatingTLS", BindTls),
            OriginatingTls = r.Object("originatingTLS", BindTls),
            ServerNames = r.StringList("serverNames"),
            Listener = r.Object("listener", m => m.Finish(new Listener
            {
                Position = m.Position,
                EnvoyConfig = m.Object("envoyConfig", e => e.Finish(new EnvoyConfigReference
                {
                    Position = e.Position,
                    Kind = e.String("kind"),
                    Name = e.String("name"),
                })),
                Name = m.String("name"),
                Priority = m.Integer("priority"),
            })),
        });
    }

    private static L7Rules BindL7Rules(MappingReader r) => r.Finish(new L7Rules
    {
        Position = r.Position,
        Http = r.ObjectList("http", m => m.Finish(new HttpRule
        {
            Position = m.Position,
            Path = m.String("path"),
            Method = m.String("method"),
            Host = m.String("host"),
            Headers = m.StringList("headers"),
            HeaderMatches = m.ObjectList("headerMatches", h => h.Finish(new HeaderMatch
            {
                Position = h.Position,
                Mismatch = h.String("mismatch"),
                Name = h.String("name"),
                Secret = h.Object("secret", BindSecret),
                Value = h.String("value"),
            })),
        })),
        Kafka = r.ObjectList("kafka", m => m.Finish(new KafkaRule
        {
            Position = m.Position,
            Role = m.String("role"),
            ApiKey = m.String("apiKey"),
            ApiVersion = m.String("apiVersion"),
            ClientId = m.String("clientID"),
            Topic = m.String("topic"),
        })),
        Dns = r.ObjectList("dns", BindFqdn),
        L7Proto = r.String("l7proto"),
        L7 = r.ObjectList("l7", m => new L7Rule { Position = m.Position, Entries = m.TakeAll() }),
    });

    private static TlsContext BindTls(MappingReader r) => r.Finish(new TlsContext
    {
        Position = r.Position,
        Secret = r.Object("secret", BindSecret),
        TrustedCa = r.String("trustedCA"),
        Certificate = r.String("certificate"),
        PrivateKey = r.String("privateKey"),
    });

    private static SecretReference BindSecret(MappingReader r) => r.Finish(new SecretReference
    {
        Position = r.Position,
        Namespace = r.String("namespace"),
        Name = r.String("name"),
    });

    private static IcmpRule BindIcmpRule(MappingReader r) => r.Finish(new IcmpRule
    {
        Position = r.Position,
        Fields = r.ObjectList("fields", m => m.Finish(new IcmpField
        {
            Position = m.Position,
            Family = m.String("family"),
            Type = m.Scalar("type"),
            Codes = m.ScalarOrList("code"),
        })),
    });
}
