using Google.Protobuf;

namespace Membrane.Cluster.Tests;

/// <summary>
/// The cluster's state as an agent decodes it, without etcd: every key of the layout read, and every key that does not
/// decode counted and skipped, without stopping the others; a key that goes bad drops what it held.
/// </summary>
public sealed class ClusterStateTests
{
    private static Mvccpb.KeyValue Kv(string key, string value, long revision = 1) =>
        new() { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), ModRevision = revision };

    private static Mvccpb.Event Put(string key, string value, long revision) => new() { Type = Mvccpb.Event.Types.EventType.Put, Kv = Kv(key, value, revision) };

    private static Mvccpb.Event Delete(string key, long revision) => new() { Type = Mvccpb.Event.Types.EventType.Delete, Kv = Kv(key, "", revision) };

    [Fact]
    public void Every_key_of_the_layout_is_decoded_and_bad_keys_are_counted_and_skipped()
    {
        var state = new ClusterState();
        var bad = new List<string>();
        var changes = new List<ClusterSection>();
        state.BadData += (key, _) => bad.Add(key);
        state.Changed += changes.Add;
        state.Reset(
        [
            Kv("membrane/v1/nodes/n1", """{"name":"n1","addresses":["10.0.0.1"],"podCidrs":["10.240.0.0/24"],"version":"1","policyRevision":7,"health":"ok"}"""),
            Kv("membrane/v1/nodes/n1/podcidr/ipv4", "10.240.0.0/24"),
            Kv("membrane/v1/nodes/n1/podcidr/ipv6", "fd00:240::/112"),
            Kv("membrane/v1/identities/id/256", "k8s:app=web"),
            Kv("membrane/v1/identities/refs/256/n1", ""),
            Kv("membrane/v1/identities/labels/abc", "256 k8s:app=web"),
            Kv("membrane/v1/identities/next", "288"),
            Kv("membrane/v1/ipcache/10.240.0.5", """{"identity":256,"node":"n1"}"""),
            Kv("membrane/v1/policies/CiliumNetworkPolicy/default/p", "kind: CiliumNetworkPolicy"),
            Kv("membrane/v1/policy-revision", "", revision: 9),
            // Bad: each skipped, none stops the others.
            Kv("membrane/v1/nodes/n2", """{"name":"someone-else","addresses":[],"podCidrs":[]}"""),
            Kv("membrane/v1/nodes/n3", "[1,"),
            Kv("membrane/v1/nodes/n1/podcidr/ipv6", "10.0.0.0/8"),
            Kv("membrane/v1/identities/id/0256", "k8s:app=padded"),
            Kv("membrane/v1/identities/id/257", ""),
            Kv("membrane/v1/ipcache/10.240.000.6", """{"identity":256,"node":"n1"}"""),
            Kv("membrane/v1/ipcache/10.240.0.7", """{"identity":0,"node":"n1"}"""),
            Kv("membrane/v1/ipcache/10.240.0.8", """{"identity":"x"}"""),
            Kv("membrane/v1/somewhere/else", "?"),
            Kv("membrane/v1/identities/id/258", new string('a', ClusterState.MaxValueBytes + 1)),
        ], revision: 20);

        Assert.Equal(ClusterSection.All, Assert.Single(changes));
        Assert.Equal(20, state.Revision);
        Assert.Equal(9, state.PolicyRevision);
        var node = Assert.Single(state.Nodes);
        Assert.Equal(("n1", "10.240.0.0/24"), (node.Record.Name, node.IPv4.ToString()));
        Assert.Null(node.IPv6); // its key went bad: what it held is dropped, not kept
        Assert.Equal("k8s:app=web", Assert.Single(state.Identities).Value);
        Assert.Equal(["n1"], state.References[256]);
        Assert.Equal(new IpcacheRecord(256, "n1"), Assert.Single(state.Ipcache).Value);
        Assert.Single(state.Policies);
        Assert.Equal(10, bad.Count);
        Assert.Equal(10, state.BadDataCount);

        // Changes after the listing: each reports what it touched; a deletion removes; a put that goes bad drops the old value.
        state.Apply([Put("membrane/v1/ipcache/10.240.0.5", "{}", 21), Delete("membrane/v1/identities/refs/256/n1", 21)], revision: 21);
        Assert.Equal(ClusterSection.Ipcache | ClusterSection.References, changes[^1]);
        Assert.Empty(state.Ipcache);
        Assert.Empty(state.References);
        Assert.Equal(11, state.BadDataCount);
        state.Apply([Delete("membrane/v1/nodes/n1", 22)], revision: 22);
        Assert.Empty(state.Nodes);
        Assert.Equal("10.240.0.0/24", state.PodCidrsOf("n1").IPv4.ToString()); // CIDRs outlive the node's lease
    }
}
