using System.Net;
using System.Security.Cryptography;
using Membrane.Agent.Node;
using Membrane.Agent.State;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Netlink.Namespaces;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Validation;

namespace Membrane.Agent.Tests.Node;

/// <summary>
/// Restore after a restart, as a library: one agent makes endpoints and imports policies with a state directory and a
/// pin root, and stops; a second takes everything back from there. Real pings run across the stop and the restore:
/// none allowed is lost, none denied gets through. Then what a crash part way leaves is swept up, a corrupt file is
/// set aside, and policies that do not read stop the start. Names start with mbrnr; pins go only under
/// /sys/fs/bpf/membrane-test.
/// </summary>
[Collection(AgentKernelCollection.Name)]
public sealed class NodeAgentRestoreTests : IDisposable
{
    private const string DbAcceptsPingFromWeb = NodeAgentTests.DbAcceptsPingFromWeb;

    private const string WebMayReachDocumentationPrefix = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: web-out, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: web}}
          egress:
          - toCIDR: [192.0.2.0/24]
          - toEndpoints: [{matchLabels: {app: db}}]
        """;

    private readonly List<string> _names = [];
    private readonly string _nodeName = "mbrnr" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "mbrnr" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
    private readonly int _pool = RandomNumberGenerator.GetInt32(0, 256);
    private readonly NetworkNamespace? _node;

    public NodeAgentRestoreTests()
    {
        if (Environment.IsPrivilegedProcess)
        {
            _node = NetworkNamespace.Create(_nodeName);
        }
    }

    private string PinRoot => $"{TestPinRoot.Path}/{_nodeName}";

    [Fact]
    public async Task A_restarted_agent_takes_back_endpoints_and_policies_and_no_verdict_changes_meanwhile()
    {
        Root.Require();
        NodeAgent? first = NodeAgent.Start(Options());
        var web = first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=web"));
        var db = first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=db"));
        var other = first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=other"));
        Assert.True(first.Import([new PolicyText("db.yaml", DbAcceptsPingFromWeb)]).Applied);
        Assert.True(first.Import([new PolicyText("web.yaml", WebMayReachDocumentationPrefix)]).Applied);
        Assert.True(first.Import([new PolicyText("db-again.yaml", DbAcceptsPingFromWeb)]).Applied); // the same policy: no new revision
        Assert.Equal(2, first.Policies.Revision);
        var db4 = db.Network.IPv4.ToString();
        Assert.True(Command.PingEventually(web.Name, db4), "web may ping db");
        Assert.False(Command.Ping(other.Name, db4), "other may not ping db");
        // Cookies name rules for events, and are numbered afresh by each agent; the entries are what must not change.
        var livePolicy = first.LivePolicy(db.Name)!.Select(r => r.Row with { Cookie = 0 }).ToList();

        // Pings every 20 ms for 4 s, across the stop and the restore.
        var allowed = Command.PingCountsAsync(web.Name, db4, 200);
        var denied = Command.PingCountsAsync(other.Name, db4, 200);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        first.Dispose();
        first = null;

        // No agent at all: the pinned links and maps enforce on their own.
        Assert.True(Command.Ping(web.Name, db4), "with no agent, web may still ping db");
        Assert.False(Command.Ping(other.Name, db4), "with no agent, other still may not ping db");

        using var second = NodeAgent.Start(Options());
        Assert.Equal(new[] { db.Name, other.Name, web.Name }.Order(StringComparer.Ordinal), second.Restored.Restored.Order(StringComparer.Ordinal));
        Assert.Empty(second.Restored.Swept);
        Assert.Empty(second.Restored.Problems);
        Assert.Equal(2, second.Policies.Revision);
        Assert.Equal(2, second.Policies.Repository.Resources.Count);
        Assert.Equal(db.Identity, second.Endpoint(db.Name)!.Identity);
        Assert.Equal(web.Identity, second.Endpoint(web.Name)!.Identity);
        Assert.Equal(livePolicy, second.LivePolicy(db.Name)!.Select(r => r.Row with { Cookie = 0 }).ToList());

        var (sent, received) = await allowed;
        Assert.True(sent >= 100 && received == sent, $"web -> db across the restart: {received} of {sent} answered");
        (sent, received) = await denied;
        Assert.True(sent >= 100 && received == 0, $"other -> db across the restart: {received} of {sent} answered");

        // The restored agent goes on: a change reaches the maps, and a new endpoint gets a fresh number.
        Assert.True(second.DeletePolicies([.. second.Policies.Repository.Resources.Select(r => r.Key).Where(k => k.Name == "db")]).Applied);
        Assert.Equal(3, second.Policies.Revision);
        Assert.True(Command.PingEventually(other.Name, db4), "with db's policy deleted, other may ping db");
        var fourth = second.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=fourth"));
        Assert.True(fourth.EndpointId > new[] { web, db, other }.Max(e => e.EndpointId));
        Assert.DoesNotContain(fourth.Network.IPv4, new[] { web, db, other }.Select(e => e.Network.IPv4));

        foreach (var record in second.Endpoints)
        {
            Assert.True(second.DeleteEndpoint(record.Name));
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(_stateDirectory, "endpoints")));
    }

    /// <summary>
    /// Calls at once, as concurrent CLI calls make them through the API: endpoints created and deleted and policies
    /// imported from several threads. Every call is serialised, so the state directory ends consistent with what the
    /// agent holds, and a restart restores exactly that.
    /// </summary>
    [Fact]
    public async Task Calls_at_once_leave_a_state_that_restores_to_what_the_agent_held()
    {
        Root.Require();
        var names = Enumerable.Range(0, 6).Select(_ => Unique()).ToList();
        HashSet<string> held;
        long revision;
        using (var first = NodeAgent.Start(Options()))
        {
            var calls = names.Select((name, i) => Task.Run(() =>
            {
                first.CreateEndpoint(name, LabelSet.Parse($"k8s:app=app{i % 3}"));
                Assert.True(first.Import([new PolicyText($"p{i}.yaml", DbAcceptsPingFromWeb.Replace("name: db,", $"name: p{i},"))]).Applied);
                if (i % 2 == 0)
                {
                    Assert.True(first.DeleteEndpoint(name));
                }
            }, TestContext.Current.CancellationToken)).ToList();
            await Task.WhenAll(calls);
            held = [.. first.Endpoints.Select(e => e.Name)];
            revision = first.Policies.Revision;
            Assert.Equal(3, held.Count);
            Assert.Equal(6, revision);
        }

        using var second = NodeAgent.Start(Options());
        Assert.Equal(held.Order(StringComparer.Ordinal), second.Restored.Restored.Order(StringComparer.Ordinal));
        Assert.Empty(second.Restored.Swept);
        Assert.Equal(revision, second.Policies.Revision);
        Assert.Equal(6, second.Policies.Repository.Resources.Count);
        foreach (var record in second.Endpoints)
        {
            second.DeleteEndpoint(record.Name);
        }
    }

    [Fact]
    public void What_a_crash_part_way_left_is_swept_up_and_a_corrupt_file_is_set_aside()
    {
        Root.Require();
        string half, gone;
        string unreadable;
        using (var first = NodeAgent.Start(Options()))
        {
            gone = first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=gone")).Name;
            first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=kept"));
            unreadable = first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=unreadable")).Name; // endpoint number 3
        }

        // Its file torn: the endpoint stays in the kernel as it was, and its number stays taken.
        File.WriteAllText(Path.Combine(_stateDirectory, "endpoints", unreadable + ".json"), "{\"name\": ");

        // As a kill during a create would leave it: the file says creating, and what was made. One killed after it made
        // its network says so, and the namespace goes; one killed before cannot tell its namespace from another's, so a
        // namespace of that name stays, and the report says so.
        half = Unique();
        NetworkNamespace.Create(half).Dispose();
        File.WriteAllText(Path.Combine(_stateDirectory, "endpoints", half + ".json"),
            $$$"""{"name": "{{{half}}}", "namespace": "default", "labels": ["k8s:app=half"], "endpointId": 40, "identity": 0, "lifecycle": "Creating", "adoptedNamespace": null, "attachMode": null, "network": {"networkNamespace": "{{{half}}}", "adoptedNamespace": false, "hostInterface": "mbr0000000000", "hostIndex": 0, "endpointInterface": "eth0", "ipv4": "10.236.{{{_pool}}}.200", "ipv6": "fd00:236:{{{_pool:x}}}::200"}}""");
        var early = Unique();
        NetworkNamespace.Create(early).Dispose();
        File.WriteAllText(Path.Combine(_stateDirectory, "endpoints", early + ".json"),
            $$"""{"name": "{{early}}", "namespace": "default", "labels": ["k8s:app=early"], "endpointId": 39, "identity": 0, "lifecycle": "Creating", "adoptedNamespace": null, "network": null, "attachMode": null}""");
        NetworkNamespace.Delete(gone); // removed while no agent ran
        File.WriteAllText(Path.Combine(_stateDirectory, "endpoints", "mbrnrbroken.json"), "{\"name\": ");

        using var second = NodeAgent.Start(Options());
        Assert.Single(second.Restored.Restored);
        Assert.Contains(second.Restored.Swept, s => s.StartsWith(half, StringComparison.Ordinal) && s.Contains("being created"));
        Assert.Contains(second.Restored.Swept, s => s.StartsWith(gone, StringComparison.Ordinal) && s.Contains("namespace"));
        Assert.False(NetworkNamespace.Exists(half), "the half-made endpoint's namespace is removed");
        Assert.Contains(second.Restored.Swept, s => s.StartsWith(early, StringComparison.Ordinal) && s.Contains($"the network namespace {early} is left"));
        Assert.True(NetworkNamespace.Exists(early), "a namespace the file does not say was made is not removed");
        NetworkNamespace.Delete(early);
        Assert.Equal(2, second.Restored.Problems.Count);
        Assert.All(second.Restored.Problems, problem => Assert.True(File.Exists(problem.MovedTo), "a corrupt file is kept, aside"));
        Assert.Contains(second.Restored.Problems, problem => problem.Path.EndsWith("mbrnrbroken.json", StringComparison.Ordinal));
        Assert.True(NetworkNamespace.Exists(unreadable), "the endpoint whose file does not read is left as it is");
        Assert.Equal(41u, second.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=new")).EndpointId); // numbers never reused
        foreach (var record in second.Endpoints)
        {
            second.DeleteEndpoint(record.Name);
        }
    }

    /// <summary>
    /// An endpoint whose file does not read stays in the kernel, and so do its number and its addresses: a new endpoint
    /// given its number would share its policy buffers, and one given its address would collide with its routes.
    /// </summary>
    [Fact]
    public void The_number_and_addresses_of_an_endpoint_whose_file_does_not_read_are_not_given_again()
    {
        Root.Require();
        EndpointRecord torn;
        using (var first = NodeAgent.Start(Options()))
        {
            first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=kept"));
            torn = first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=torn"));
        }

        File.WriteAllText(Path.Combine(_stateDirectory, "endpoints", torn.Name + ".json"), "{\"name\": ");
        using (var second = NodeAgent.Start(Options()))
        {
            Assert.Single(second.Restored.Problems);
            var fresh = second.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=fresh"));
            Assert.True(fresh.EndpointId > torn.EndpointId, $"endpoint number {fresh.EndpointId} again, after {torn.EndpointId}");
            Assert.NotEqual(torn.Network.IPv4, fresh.Network.IPv4);
            Assert.NotEqual(torn.Network.IPv6, fresh.Network.IPv6);
            Assert.NotEqual(torn.Identity, fresh.Identity); // a policy for app=fresh must not apply to the torn endpoint's traffic
            foreach (var record in second.Endpoints)
            {
                second.DeleteEndpoint(record.Name);
            }
        }

        // The agent held no endpoint when it stopped, but the torn one still runs on the datapath: it stays pinned.
        Assert.True(Directory.Exists(Path.Combine(PinRoot, "datapath")), "the datapath is unpinned while an endpoint still runs on it");
        NetworkNamespace.Delete(torn.Name);
    }

    /// <summary>
    /// The datapath's pins lost while the links' remain (a bpf file system half cleaned by hand): the links run the
    /// old programs on maps nobody writes. A start loads a new datapath, replaces each link with one to its programs
    /// (attached before the old goes, so never unfiltered), and the restored policy, then a change, reach the packets.
    /// </summary>
    [Fact]
    public void Links_left_running_an_old_datapath_are_replaced_and_changes_reach_the_packets()
    {
        Root.Require();
        EndpointRecord web, db, other;
        using (var first = NodeAgent.Start(Options()))
        {
            web = first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=web"));
            db = first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=db"));
            other = first.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=other"));
            Assert.True(first.Import([new PolicyText("db.yaml", DbAcceptsPingFromWeb)]).Applied);
        }

        Directory.Delete(Path.Combine(PinRoot, "datapath"), recursive: true);
        var db4 = db.Network.IPv4.ToString();
        Assert.False(Command.Ping(other.Name, db4), "the old links still enforce");

        using var second = NodeAgent.Start(Options());
        Assert.Equal(3, second.Restored.Restored.Count);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(PinRoot, "links")).Length);
        Assert.True(Command.PingEventually(web.Name, db4), "web may ping db under the restored policy");
        Assert.False(Command.Ping(other.Name, db4), "other may not");
        Assert.True(second.DeletePolicies([.. second.Policies.Repository.Resources.Select(r => r.Key)]).Applied);
        Assert.True(Command.PingEventually(other.Name, db4), "the change reaches the packets: the new links run the maps the agent writes");
        foreach (var record in second.Endpoints)
        {
            second.DeleteEndpoint(record.Name);
        }
    }

    [Fact]
    public void Policies_that_do_not_read_stop_the_start_and_stay_where_they_are()
    {
        Root.Require();
        using (var first = NodeAgent.Start(Options()))
        {
            Assert.True(first.Import([new PolicyText("db.yaml", DbAcceptsPingFromWeb)]).Applied);
        }

        var path = Path.Combine(_stateDirectory, "policies", "repository.json");
        File.WriteAllText(path, "{ torn");
        var refused = Assert.Throws<AgentStateException>(() => NodeAgent.Start(Options()));
        Assert.Contains("repository.json", refused.Message);
        Assert.Contains("kernel keeps enforcing", refused.Message);
        Assert.True(File.Exists(path));

        // And another agent on a state directory in use is refused.
        File.Delete(path);
        using var holder = NodeAgent.Start(Options());
        Assert.Contains("in use by another agent", Assert.Throws<AgentStateException>(() => NodeAgent.Start(Options())).Message);
    }

    [Fact]
    public void A_pin_root_that_another_agent_holds_or_that_is_not_bpffs_stops_the_start()
    {
        Root.Require();
        using (var holder = NodeAgent.Start(Options()))
        {
            var other = Path.Combine(Path.GetTempPath(), "mbrnr" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
            try
            {
                // Another state directory, the same pin root: the two would share one endpoints map.
                var refused = Assert.Throws<AgentStateException>(() => NodeAgent.Start(Options() with { StateDirectory = other }));
                Assert.Contains($"the bpffs root {PinRoot} is in use by another agent", refused.Message);
            }
            finally
            {
                if (Directory.Exists(other))
                {
                    Directory.Delete(other, recursive: true);
                }
            }
        }

        var notBpffs = Path.Combine(_stateDirectory, "pins");
        var wrong = Assert.Throws<AgentStateException>(() => NodeAgent.Start(Options() with { PinRoot = notBpffs }));
        Assert.Contains("is not on a bpf file system", wrong.Message);
        Assert.Contains("--bpffs-root", wrong.Message);
    }

    public void Dispose()
    {
        foreach (var name in _names)
        {
            if (NetworkNamespace.Exists(name))
            {
                NetworkNamespace.Delete(name);
            }
        }

        if (_node is not null)
        {
            _node.Dispose();
            NetworkNamespace.Delete(_nodeName);
        }

        if (Directory.Exists(PinRoot))
        {
            Directory.Delete(PinRoot, recursive: true);
        }

        TestPinRoot.RemoveIfEmpty();

        if (Directory.Exists(_stateDirectory))
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
    }

    private NodeAgentOptions Options() =>
        NodeAgentTests.Options(_node!, _nodeName, $"10.236.{_pool}.0/24", $"fd00:236:{_pool:x}::/64") with { PinRoot = PinRoot, StateDirectory = _stateDirectory };

    /// <summary>A fresh name, remembered so that Dispose removes a namespace of that name whatever the test got to.</summary>
    private string Unique()
    {
        var name = "mbrnr" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        _names.Add(name);
        return name;
    }
}
