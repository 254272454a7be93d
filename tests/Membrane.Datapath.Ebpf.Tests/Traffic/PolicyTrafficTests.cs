using System.Net;
using Membrane.Datapath.Ebpf.Attachment;
using Membrane.Datapath.Ebpf.Tests.Support;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Events;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Ebpf.Tests.Traffic;

/// <summary>
/// The datapath on real traffic: a node namespace with two endpoints, web (A) and db (B), the generated programs
/// attached to both host-side veths, and the map state of an ICMP policy written by the policy writer. Real ping,
/// ping -6, ping -s 4000 and TCP then show what the policy allows passing with its replies, what it does not allow
/// dropped with a drop event in the ring buffer, and neighbour discovery working after the caches are flushed, under
/// a policy that gives web no ingress at all.
/// </summary>
[Collection(DatapathKernelCollection.Name)]
public sealed class PolicyTrafficTests
{
    private const string Policy = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: db, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: web}}]
            icmps: [{fields: [{type: EchoRequest, family: IPv4}, {type: EchoRequest, family: IPv6}]}]
          - fromEndpoints: [{matchLabels: {app: web}}]
            toPorts: [{ports: [{port: "80", protocol: TCP}]}]
        ---
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: web, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: web}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: db}}]
            toPorts: [{ports: [{port: "443", protocol: TCP}]}]
        """;

    [Fact]
    public void An_ICMP_policy_is_enforced_on_real_ping_ping6_fragments_and_TCP_and_drops_are_reported()
    {
        Root.Require();
        using var pair = new EndpointPair();
        using var kernel = new KernelRunner();
        var datapath = kernel.Datapath;

        var service = new PolicyService();
        var change = service.Load([new PolicyText("traffic.yaml", Policy)]);
        Assert.True(change.Applied, string.Join("\n", change.Report.Files.SelectMany(f => f.AllFindings)));
        var web = service.Identities.AddEndpoint(LabelSet.Parse("k8s:app=web,k8s:io.kubernetes.pod.namespace=default"),
            addresses: [IPAddress.Parse(pair.A.Address4), IPAddress.Parse(pair.A.Address6)]);
        var db = service.Identities.AddEndpoint(LabelSet.Parse("k8s:app=db,k8s:io.kubernetes.pod.namespace=default"),
            addresses: [IPAddress.Parse(pair.B.Address4), IPAddress.Parse(pair.B.Address6)]);
        foreach (var (key, value) in IpcacheEncoder.Encode(service.Identities))
        {
            datapath.Ipcache.Update(key, value);
        }

        var cookies = new PolicyCookieTable();
        foreach (var (side, identity, id) in new[] { (pair.A, web, 1u), (pair.B, db, 2u) })
        {
            var writer = new PolicyBufferWriter(side.HostIndex, new EndpointConfig { EndpointId = id, Identity = identity.Id }
                .WithAddresses(IPAddress.Parse(side.Address4), IPAddress.Parse(side.Address6)), cookies);
            writer.Apply(service.Resolve(identity), kernel.PolicyTarget);
        }

        var attachments = new List<ProgramAttachment>();
        try
        {
            foreach (var side in new[] { pair.A, pair.B })
            {
                var target = new AttachTarget(side.HostSide, pair.Node);
                attachments.Add(ProgramAttachment.Attach(datapath.FromEndpoint, target, AttachDirection.Ingress));
                attachments.Add(ProgramAttachment.Attach(datapath.ToEndpoint, target, AttachDirection.Egress));
            }

            Enforce(pair, kernel, web, db);
        }
        finally
        {
            attachments.ForEach(a => a.Dispose());
        }
    }

    private static void Enforce(EndpointPair pair, KernelRunner kernel, Identity web, Identity db)
    {
        // Allowed by db's policy, and the replies come back through web's default-deny ingress by conntrack.
        Assert.True(EndpointPair.PingEventually(pair.A, pair.B.Address4), "web pings db over IPv4: the policy allows it");
        Assert.True(EndpointPair.PingEventually(pair.A, pair.B.Address6), "web pings db over IPv6: the policy allows it");
        Assert.True(EndpointPair.Ping(pair.A, pair.B.Address4, size: 4000), "ping -s 4000 (fragments) passes where ping passes");
        Assert.True(EndpointPair.Ping(pair.A, pair.B.Address6, size: 4000), "ping -6 -s 4000 passes where ping -6 passes");
        Assert.True(EndpointPair.TcpConnects(pair.A, pair.B, 80), "TCP from web to db:80 is allowed");

        // Not allowed: db may not ping web (web's ingress allows only TCP/443 from db), and web may not reach db:81.
        while (kernel.TakeEvent() is not null)
        {
        }

        Assert.False(EndpointPair.Ping(pair.B, pair.A.Address4), "db pings web: web's policy has no ICMP");
        var drop = WaitForEvent(kernel, e => e.Kind == (byte)EventKind.Drop && e.Reason == (byte)VerdictReason.DefaultDenied &&
            e.Protocol == IpProtocols.Icmp && e.IcmpType == 8);
        Assert.True(drop is not null, "the dropped echo request is reported in the ring buffer");
        Assert.Equal(db.Id, drop.Value.PeerIdentity);
        Assert.Equal(web.Id, drop.Value.EndpointIdentity);
        Assert.Equal((byte)DatapathConstants.DirectionIngress, drop.Value.Direction);
        Assert.False(EndpointPair.Ping(pair.B, pair.A.Address6), "db pings web over IPv6: denied too");
        Assert.False(EndpointPair.TcpConnects(pair.A, pair.B, 81), "TCP from web to db:81 is not allowed");
        Assert.NotNull(WaitForEvent(kernel, e => e.Kind == (byte)EventKind.Drop && e.Protocol == IpProtocols.Tcp && e.DestinationPort == 81));

        // Neighbour discovery keeps working under web's default-deny ingress: first contact after the caches are flushed.
        var neighbourDiscovery = kernel.Counter(VerdictReason.NeighbourDiscovery);
        pair.FlushNeighbours();
        Assert.True(EndpointPair.PingEventually(pair.A, pair.B.Address6), "after flushing the neighbour caches, ping -6 needs ND, and ND passes");
        Assert.True(kernel.Counter(VerdictReason.NeighbourDiscovery) > neighbourDiscovery, "the ND after the flush was counted as always allowed");
    }

    /// <summary>The first event within two seconds that <paramref name="match"/> accepts; others are read and passed over.</summary>
    private static EventRecord? WaitForEvent(KernelRunner kernel, Func<EventRecord, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(2);
        while (DateTime.UtcNow < deadline)
        {
            if (kernel.TakeEvent() is { } record)
            {
                if (match(record))
                {
                    return record;
                }
            }
            else
            {
                Thread.Sleep(20);
            }
        }

        return null;
    }
}
