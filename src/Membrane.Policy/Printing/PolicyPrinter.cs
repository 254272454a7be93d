using Membrane.Policy.Model;
using Membrane.Policy.Source;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlScalar = YamlDotNet.Core.Events.Scalar;

namespace Membrane.Policy.Printing;

/// <summary>
/// Writes policy documents back as YAML in a canonical field order. Strings are always quoted and
/// numbers and booleans never are, so reading the output gives back the same model: the printer
/// and the reader are each other's test.
/// </summary>
public sealed class PolicyPrinter
{
    private readonly IEmitter _emitter;

    private PolicyPrinter(IEmitter emitter) => _emitter = emitter;

    public static string Print(IEnumerable<PolicyDocument> documents)
    {
        var writer = new StringWriter();
        var printer = new PolicyPrinter(new Emitter(writer, new EmitterSettings(2, int.MaxValue, false, 1024)));
        printer._emitter.Emit(new StreamStart());
        foreach (var document in documents)
        {
            printer._emitter.Emit(new DocumentStart(null, null, isImplicit: false));
            printer.WriteDocument(document);
            printer._emitter.Emit(new DocumentEnd(isImplicit: true));
        }

        printer._emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    public static string Print(PolicyDocument document) => Print([document]);

    private void WriteDocument(PolicyDocument document)
    {
        switch (document)
        {
            case CiliumPolicy { PolicyKind: PolicyKind.CiliumRule, Spec: { } rule }:
                Rule(rule);
                return;
            case CiliumPolicy policy:
                Map(() =>
                {
                    Field("apiVersion", policy.ApiVersion);
                    Key("kind");
                    Text(policy.PolicyKind.ToString());
                    Field("metadata", policy.Metadata, Metadata);
                    Field("description", policy.TopLevelDescription);
                    Field("spec", policy.Spec, Rule);
                    Field("specs", policy.Specs, Rule);
                });
                return;
            case NetworkPolicy policy:
                Map(() =>
                {
                    Field("apiVersion", policy.ApiVersion);
                    Key("kind");
                    Text("NetworkPolicy");
                    Field("metadata", policy.Metadata, Metadata);
                    Field("spec", policy.Spec, NetworkPolicySpec);
                });
                return;
        }
    }

    private void Metadata(ObjectMetadata m) => Map(() =>
    {
        Field("name", m.Name);
        Field("namespace", m.Namespace);
        Field("labels", m.Labels);
        Field("annotations", m.Annotations);
    });

    private void Rule(CiliumRule r) => Map(() =>
    {
        Field("endpointSelector", r.EndpointSelector, Selector);
        Field("nodeSelector", r.NodeSelector, Selector);
        Field("ingress", r.Ingress, p => PeerRule(p, PolicySection.Ingress));
        Field("ingressDeny", r.IngressDeny, p => PeerRule(p, PolicySection.IngressDeny));
        Field("egress", r.Egress, p => PeerRule(p, PolicySection.Egress));
        Field("egressDeny", r.EgressDeny, p => PeerRule(p, PolicySection.EgressDeny));
        Field("enableDefaultDeny", r.EnableDefaultDeny, d => Map(() =>
        {
            Field("ingress", d.Ingress);
            Field("egress", d.Egress);
        }));
        Field("description", r.Description);
        Field("labels", r.Labels, l => Map(() =>
        {
            Field("key", l.Key);
            Field("value", l.Value);
            Field("source", l.Source);
        }));
        Field("log", r.Log, l => Map(() => Field("value", l.Value)));
    });

    private void Selector(LabelSelector s) => Map(() =>
    {
        Field("matchLabels", s.MatchLabels);
        Field("matchExpressions", s.MatchExpressions, e => Map(() =>
        {
            Field("key", e.Key);
            Field("operator", e.Operator);
            Field("values", e.Values);
        }));
    });

    private void PeerRule(PeerRule r, PolicySection section)
    {
        var p = section.PeerPrefix();
        Map(() =>
        {
            Field(p + "Endpoints", r.Endpoints, Selector);
            Field(p + "Requires", r.Requires, Selector);
            Field(p + "CIDR", r.Cidrs);
            Field(p + "CIDRSet", r.CidrSets, c => Map(() =>
            {
                Field("cidr", c.Cidr);
                Field("cidrGroupRef", c.CidrGroupRef);
                Field("cidrGroupSelector", c.CidrGroupSelector, Selector);
                Field("except", c.Except);
            }));
            Field(p + "Entities", r.Entities);
            Field(p + "Nodes", r.Nodes, Selector);
            Field(p + "Groups", r.Groups, g => Map(() => Field("aws", g.Aws, a => Map(() =>
            {
                Field("labels", a.Labels);
                Field("securityGroupsIds", a.SecurityGroupsIds);
                Field("securityGroupsNames", a.SecurityGroupsNames);
                Field("region", a.Region);
            }))));
            Field("toServices", r.Services, s => Map(() =>
            {
                Field("k8sService", s.K8sService, k => Map(() =>
                {
                    Field("serviceName", k.ServiceName);
                    Field("namespace", k.Namespace);
                }));
                Field("k8sServiceSelector", s.K8sServiceSelector, k => Map(() =>
                {
                    Field("selector", k.Selector, Selector);
                    Field("namespace", k.Namespace);
                }));
            }));
            Field("toFQDNs", r.Fqdns, Fqdn);
            Field("toPorts", r.ToPorts, PortRule);
            Field("icmps", r.Icmps, i => Map(() => Field("fields", i.Fields, Icmp)));
            Field("authentication", r.Authentication, a => Map(() => Field("mode", a.Mode)));
            Field("auth", r.Auth, a => Map(() => Field("type", a.Type)));
        });
    }

    private void Icmp(IcmpField f) => Map(() =>
    {
        Field("family", f.Family);
        Field("type", f.Type);
        Field("code", f.Codes);
    });

    private void Fqdn(FqdnSelector f) => Map(() =>
    {
        Field("matchName", f.MatchName);
        Field("matchPattern", f.MatchPattern);
    });

    private void PortRule(PortRule r) => Map(() =>
    {
        Field("ports", r.Ports, p => Map(() =>
        {
            Field("port", p.Port);
            Field("endPort", p.EndPort);
            Field("protocol", p.Protocol);
        }));
        Field("rules", r.Rules, L7);
        Field("terminatingTLS", r.TerminatingTls, Tls);
        Field("originatingTLS", r.OriginatingTls, Tls);
        Field("serverNames", r.ServerNames);
        Field("listener", r.Listener, l => Map(() =>
        {
            Field("envoyConfig", l.EnvoyConfig, e => Map(() =>
            {
                Field("kind", e.Kind);
                Field("name", e.Name);
            }));
            Field("name", l.Name);
            Field("priority", l.Priority);
        }));
    });

    private void L7(L7Rules r) => Map(() =>
    {
        Field("http", r.Http, h => Map(() =>
        {
            Field("path", h.Path);
            Field("method", h.Method);
            Field("host", h.Host);
            Field("headers", h.Headers);
            Field("headerMatches", h.HeaderMatches, m => Map(() =>
            {
                Field("mismatch", m.Mismatch);
                Field("name", m.Name);
                Field("secret", m.Secret, Secret);
                Field("value", m.Value);
            }));
        }));
        Field("kafka", r.Kafka, k => Map(() =>
        {
            Field("role", k.Role);
            Field("apiKey", k.ApiKey);
            Field("apiVersion", k.ApiVersion);
            Field("clientID", k.ClientId);
            Field("topic", k.Topic);
        }));
        Field("dns", r.Dns, Fqdn);
        Field("l7proto", r.L7Proto);
        Field("l7", r.L7, l => WriteMap(l.Entries));
    });

    private void Tls(TlsContext t) => Map(() =>
    {
        Field("secret", t.Secret, Secret);
        Field("trustedCA", t.TrustedCa);
        Field("certificate", t.Certificate);
        Field("privateKey", t.PrivateKey);
    });

    private void Secret(SecretReference s) => Map(() =>
    {
        Field("namespace", s.Namespace);
        Field("name", s.Name);
    });

    private void NetworkPolicySpec(NetworkPolicySpec s) => Map(() =>
    {
        Field("podSelector", s.PodSelector, Selector);
        Field("ingress", s.Ingress, r => NetworkPolicyRule(r, "from"));
        Field("egress", s.Egress, r => NetworkPolicyRule(r, "to"));
        Field("policyTypes", s.PolicyTypes);
    });

    private void NetworkPolicyRule(NetworkPolicyRule r, string peers) => Map(() =>
    {
        Field(peers, r.Peers, p => Map(() =>
        {
            Field("podSelector", p.PodSelector, Selector);
            Field("namespaceSelector", p.NamespaceSelector, Selector);
            Field("ipBlock", p.IpBlock, b => Map(() =>
            {
                Field("cidr", b.Cidr);
                Field("except", b.Except);
            }));
        }));
        Field("ports", r.Ports, p => Map(() =>
        {
            Field("protocol", p.Protocol);
            Field("port", p.Port);
            Field("endPort", p.EndPort);
        }));
    });

    private void Map(Action body)
    {
        _emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
        body();
        _emitter.Emit(new MappingEnd());
    }

    private void WriteMap(PolicyList<KeyValue> entries) => Map(() =>
    {
        foreach (var (key, value) in entries)
        {
            Value(key);
            Value(value);
        }
    });

    private void Key(string key) => _emitter.Emit(new YamlScalar(null, null, key, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));

    private void Text(string text) => _emitter.Emit(new YamlScalar(null, null, text, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));

    private void Value(Model.Scalar scalar)
    {
        // Quote every string so that "80", "true" or "null" stay strings when read back.
        var style = scalar.Kind == ScalarKind.String ? ScalarStyle.DoubleQuoted : ScalarStyle.Plain;
        _emitter.Emit(new YamlScalar(null, null, scalar.Text, style, isPlainImplicit: style == ScalarStyle.Plain, isQuotedImplicit: style != ScalarStyle.Plain));
    }

    private void Field(string key, Model.Scalar? value)
    {
        if (value is { } v)
        {
            Key(key);
            Value(v);
        }
    }

    private void Field(string key, PolicyList<KeyValue> map)
    {
        if (map.IsPresent)
        {
            Key(key);
            WriteMap(map);
        }
    }

    private void Field(string key, PolicyList<Model.Scalar> list)
    {
        if (!list.IsPresent)
        {
            return;
        }

        Key(key);
        _emitter.Emit(new SequenceStart(null, null, isImplicit: true, list.IsEmpty ? SequenceStyle.Flow : SequenceStyle.Block));
        foreach (var item in list)
        {
            Value(item);
        }

        _emitter.Emit(new SequenceEnd());
    }

    private void Field<T>(string key, T? value, Action<T> write)
        where T : class
    {
        if (value is not null)
        {
            Key(key);
            write(value);
        }
    }

    private void Field<T>(string key, PolicyList<T> list, Action<T> write)
    {
        if (!list.IsPresent)
        {
            return;
        }

        Key(key);
        _emitter.Emit(new SequenceStart(null, null, isImplicit: true, list.IsEmpty ? SequenceStyle.Flow : SequenceStyle.Block));
        foreach (var item in list)
        {
            write(item);
        }

        _emitter.Emit(new SequenceEnd());
    }
}
