using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Engine.Tracing;
using Membrane.Policy.Model;
using Membrane.Policy.Validation;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Tests.Service;

public sealed class PolicyServiceTests
{
    private const string Db = "k8s:app=db,k8s:io.kubernetes.pod.namespace=shop";
    private const string Web = "k8s:app=web,k8s:io.kubernetes.pod.namespace=shop";

    private static string DbPolicy(string port) => $$$"""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: db, namespace: shop}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: web}}]
            toPorts: [{ports: [{port: "{{{port}}}", protocol: TCP}]}]
        """;

    private const string Ping = """
        apiVersion: cilium.io/v2
        kind: CiliumClusterwideNetworkPolicy
        metadata: {name: ping}
        spec:
          endpointSelector: {matchLabels: {app: web}}
          ingress: [{icmps: [{fields: [{type: EchoRequest}]}]}]
        """;

    [Fact]
    public void A_load_holds_each_policy_by_kind_namespace_and_name_at_a_new_revision()
    {
        var service = new PolicyService();

        var change = service.Load([new PolicyText("db.yaml", DbPolicy("5432")), new PolicyText("ping.yaml", Ping)]);

        Assert.True(change.Applied);
        Assert.Equal(1, change.Revision);
        Assert.NotNull(service.Repository[new ResourceKey(PolicyKind.CiliumNetworkPolicy, "shop", "db")]);
        Assert.NotNull(service.Repository[new ResourceKey(PolicyKind.CiliumClusterwideNetworkPolicy, null, "ping")]);
    }

    [Fact]
    public void Nothing_is_applied_when_any_document_is_invalid()
    {
        var service = new PolicyService();
        service.Load([new PolicyText("db.yaml", DbPolicy("5432"))]);

        var change = service.Load([new PolicyText("ping.yaml", Ping), new PolicyText("bad.yaml", DbPolicy("70000"))]);

        Assert.False(change.Applied);
        Assert.Equal(1, service.Revision);
        Assert.Null(service.Repository[new ResourceKey(PolicyKind.CiliumClusterwideNetworkPolicy, null, "ping")]);
        var error = Assert.Single(change.Report.Files.SelectMany(f => f.AllFindings), f => f.Severity == Diagnostics.Severity.Error);
        Assert.Equal(("bad.yaml", 8, "spec.ingress[0].toPorts[0].ports[0].port"), (error.Position.File, error.Position.Line, error.Path));
    }

    [Fact]
    public void A_replace_returns_the_new_revision_and_only_the_endpoints_whose_state_changes()
    {
        var service = new PolicyService();
        service.Load([new PolicyText("db.yaml", DbPolicy("5432")), new PolicyText("ping.yaml", Ping)]);
        var db = service.Identities.AddEndpoint(LabelSet.Parse(Db));
        var web = service.Identities.AddEndpoint(LabelSet.Parse(Web));
        service.Endpoint(db);
        service.Endpoint(web);

        var change = service.Load([new PolicyText("db.yaml", DbPolicy("5433"))]);

        Assert.True(change.Applied);
        Assert.Equal(2, change.Revision);
        Assert.Equal([db.Id], change.ChangedEndpoints.Keys);
        Assert.True(service.Trace(web, db, L4Spec.ParsePort("5433/TCP")).Final == Verdict.Allow);
        Assert.True(service.Trace(web, db, L4Spec.ParsePort("5432/TCP")).Final == Verdict.Deny);
    }

    [Fact]
    public void Loading_the_same_documents_again_is_no_change()
    {
        var service = new PolicyService();
        service.Load([new PolicyText("db.yaml", DbPolicy("5432"))]);

        var change = service.Load([new PolicyText("db-again.yaml", "\n\n" + DbPolicy("5432"))]);

        Assert.Equal(1, change.Revision);
        Assert.Empty(change.ChangedEndpoints);
    }

    [Fact]
    public void A_delete_removes_the_policy_and_its_effect()
    {
        var service = new PolicyService();
        service.Load([new PolicyText("db.yaml", DbPolicy("5432"))]);
        var db = service.Identities.AddEndpoint(LabelSet.Parse(Db));
        var web = service.Identities.AddEndpoint(LabelSet.Parse(Web));
        Assert.Equal(Verdict.Deny, service.Trace(web, db, L4Spec.ParsePort("80/TCP")).Final);
        service.Endpoint(db);

        var change = service.Delete([new ResourceKey(PolicyKind.CiliumNetworkPolicy, "shop", "db")]);

        Assert.Equal(2, change.Revision);
        Assert.Contains(db.Id, change.ChangedEndpoints.Keys);
        Assert.Empty(service.Rules);
        Assert.Equal(Verdict.Allow, service.Trace(web, db, L4Spec.ParsePort("80/TCP")).Final);
    }

    [Fact]
    public void Identity_changes_reach_every_endpoint_as_deltas()
    {
        var service = new PolicyService();
        service.Load([new PolicyText("db.yaml", DbPolicy("5432"))]);
        var db = service.Identities.AddEndpoint(LabelSet.Parse(Db));
        service.Endpoint(db);
        service.TakeIdentityDeltas();

        var web = service.Identities.AddEndpoint(LabelSet.Parse(Web));
        var added = service.TakeIdentityDeltas();
        service.Identities.Remove(web.Id);
        var removed = service.TakeIdentityDeltas();

        Assert.All(Assert.Single(added[db.Id]).Added.Keys, k => Assert.Equal(web.Id, k.Identity));
        Assert.Equal(Assert.Single(added[db.Id]).Added.Keys.Order(), Assert.Single(removed[db.Id]).Removed.Order());
        Assert.Equal(service.Resolve(db).Entries.OrderBy(e => e.Key.ToString()), new MapState.PolicyResolver(service.Rules, service.Identities, db).State.Entries.OrderBy(e => e.Key.ToString()));
    }

    [Fact]
    public void An_address_entering_or_leaving_an_ipBlock_changes_the_state_of_the_endpoints_that_name_it()
    {
        // Kubernetes' ipBlock selects pods by address, so an identity given an address (another pod with the same
        // labels) may enter a rule or leave it; an address that changes nothing is no delta.
        var service = new PolicyService();
        service.Load([new PolicyText("np.yaml", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: to-range, namespace: shop}\n" +
            "spec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress:\n  - to: [{ipBlock: {cidr: 10.1.0.0/16}}]\n")]);
        var web = service.Identities.AddEndpoint(LabelSet.Parse(Web), addresses: [System.Net.IPAddress.Parse("10.9.0.1")]);
        var db = service.Identities.AddEndpoint(LabelSet.Parse(Db), addresses: [System.Net.IPAddress.Parse("10.1.0.5")]);
        service.Endpoint(web);
        service.TakeIdentityDeltas();
        Assert.Contains(service.Resolve(web).Entries.Keys, k => k.Identity == db.Id);

        service.Identities.AddAddresses(db.Id, [System.Net.IPAddress.Parse("10.1.0.6")]);
        Assert.Empty(service.TakeIdentityDeltas());

        service.Identities.AddAddresses(db.Id, [System.Net.IPAddress.Parse("10.2.0.7")]);
        var left = Assert.Single(service.TakeIdentityDeltas()[web.Id]);
        Assert.Empty(left.Added);
        Assert.All(left.Removed, k => Assert.Equal(db.Id, k.Identity));
        Assert.DoesNotContain(service.Resolve(web).Entries.Keys, k => k.Identity == db.Id);

        service.Identities.RemoveAddresses(db.Id, [System.Net.IPAddress.Parse("10.2.0.7")]);
        var back = Assert.Single(service.TakeIdentityDeltas()[web.Id]);
        Assert.All(back.Added.Keys, k => Assert.Equal(db.Id, k.Identity));
        Assert.Equal(service.Resolve(web).Entries.OrderBy(e => e.Key.ToString()), new MapState.PolicyResolver(service.Rules, service.Identities, web).State.Entries.OrderBy(e => e.Key.ToString()));
    }

    [Fact]
    public void A_prefix_a_policy_names_becomes_a_node_identity()
    {
        var service = new PolicyService();
        service.Load([new PolicyText("cidr.yaml", "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c}\nspec:\n  endpointSelector: {}\n  egress: [{toCIDR: [192.0.2.0/24]}]\n")]);

        Assert.Equal("cidr:192.0.2.0/24", service.Identities.Lookup(System.Net.IPAddress.Parse("192.0.2.7")).Labels.ToString());
    }
}
