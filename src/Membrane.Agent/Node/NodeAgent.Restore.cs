using Membrane.Agent.Endpoints;
using Membrane.Agent.State;
using Membrane.Datapath.Ebpf.Attachment;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Writing;
using Membrane.Netlink;
using Membrane.Netlink.Namespaces;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;
using Membrane.Policy.Values;

namespace Membrane.Agent.Node;

/// <summary>
/// Restore: a new agent takes back what the last one left. Nothing is detached and no buffer a packet reads is
/// written until the end, where each endpoint's idle buffer gets its state under the restored policies and is switched
/// to in one update (docs/datapath.md §9): traffic that was allowed is never dropped meanwhile, and traffic that was
/// denied is never let through. What cannot be taken back is handled so as to enforce no less: an endpoint whose
/// file does not read is left in the kernel as it is (still enforcing what it last had) and reported; policies that do
/// not read, or no longer validate, stop the agent from starting at all.
/// </summary>
public sealed partial class NodeAgent
{
    private RestoreReport Restore(StateStore state)
    {
        try
        {
            return RestoreFrom(state);
        }
        catch (Exception e) when (e is StateStoreException or MapFullException)
        {
            throw new AgentStateException(
                $"the agent cannot take back what {state.Directory} holds: {e.Message}. The agent does not start, so the kernel keeps " +
                "enforcing what it had", e);
        }
    }

    private RestoreReport RestoreFrom(StateStore state)
    {
        var policies = ReadPolicies(state);
        _savedPolicies = policies;
        var (endpoints, problems) = state.ReadAll(EndpointsKind, AgentStateJsonContext.Default.EndpointState);
        var problemList = problems.Concat(RestoreNamespaces(state)).ToList();
        var restored = new List<string>();
        var swept = new List<string>();
        var policyEntries = Datapath.Policy.Entries<PolicyMapKey, PolicyMapValue>().ToList();
        WithholdWhatTheMapsHold(policyEntries);

        // Then the identities, with the numbers the maps hold, so that every endpoint's restored state names the same
        // peers as its live buffer does: CIDR identities and policies first, endpoints next.
        if (policies is not null)
        {
            RestorePolicies(state, policies);
        }

        foreach (var (file, endpoint) in endpoints)
        {
            _nextEndpointId = Math.Max(_nextEndpointId, endpoint.EndpointId + 1);
            if (endpoint.Name != file || !EndpointName.IsValid(endpoint.Name, out _))
            {
                problemList.Add(state.SetAside(EndpointsKind, file, $"the file names endpoint \"{endpoint.Name}\""));
                continue;
            }

            if (endpoint.Lifecycle != EndpointLifecycle.Ready || endpoint.Network is null)
            {
                Sweep(endpoint);
                swept.Add($"{endpoint.Name}: {(endpoint.Lifecycle == EndpointLifecycle.Deleting ? "it was being deleted" : "it was being created")} when the agent stopped" +
                    (endpoint.AdoptedNamespace is null && NetworkNamespace.Exists(endpoint.Network?.NetworkNamespace ?? endpoint.Name)
                        ? $"; the network namespace {endpoint.Network?.NetworkNamespace ?? endpoint.Name} is left: it is not the one the agent made for the endpoint"
                        : ""));
                continue;
            }

            string? gone;
            try
            {
                gone = TakeBack(endpoint, policyEntries);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                // Left in the kernel as it is, as an endpoint whose file does not read: nothing says what to do with it.
                problemList.Add(state.SetAside(EndpointsKind, file, e.Message));
                continue;
            }

            if (gone is not null)
            {
                Sweep(endpoint);
                swept.Add($"{endpoint.Name}: {gone}");
                continue;
            }

            restored.Add(endpoint.Name);
        }

        // The other nodes' endpoints (cluster mode), before anything is regenerated: every state keeps knowing them.
        problemList.AddRange(RestoreRemote(state));

        // What the kernel still holds that no restored endpoint owns is an endpoint left in place (its file did not
        // read): its ipcache entries are kept, and its policy entries count against the map's capacity.
        var managedNumbers = _endpoints.Values.Select(e => e.Record.EndpointId).ToHashSet();

        // Flows tracked by an endpoint number nothing holds any more (an endpoint deleted while no agent could forget its
        // flows) are forgotten, so that no new endpoint given the number inherits them.
        var live = managedNumbers.Union(Datapath.Endpoints.Entries<uint, EndpointConfig>().Select(e => e.Value.EndpointId)).ToHashSet();
        foreach (var key in Datapath.Conntrack.Keys<ConntrackKey>().Where(k => !live.Contains(k.EndpointId)).ToList())
        {
            Datapath.Conntrack.Delete(key);
        }

        _foreignPolicyEntries = policyEntries.Count(e => !managedNumbers.Contains(e.Key.PolicyId >> 1) && !_clearedNumbers.Contains(e.Key.PolicyId >> 1));
        var known = Membrane.Datapath.Encoding.IpcacheEncoder.Encode(Policies.Identities);
        _foreignIpcache = _ipcache.Entries.Where(e => e.Value.Identity < Membrane.Policy.Engine.Identities.Identity.FirstCidr && !known.ContainsKey(e.Key))
            .ToDictionary(e => e.Key, e => e.Value);

        // CIDR identities the kernel's ipcache still gives but the restored policies do not name (a change the last agent
        // saved and did not finish, killed between its save and its switch): taken back with their numbers, so that the
        // first regeneration's states know every identity a packet can still carry; then, as a policy change does, they
        // leave the ipcache before they leave the states. Without this the old prefixes would go first, and their
        // addresses would meet live states that judge the new prefixes by the old rules.
        foreach (var (key, value) in _ipcache.Entries.Where(e => e.Value.Identity >= Membrane.Policy.Engine.Identities.Identity.FirstCidr).ToList())
        {
            if (Policies.Identities[value.Identity] is null &&
                Cidr.TryParse($"{key.Address.ToAddress(key.Family)}/{key.PrefixLength - Membrane.Datapath.DatapathConstants.IpcacheFamilyBits}", allowBareAddress: false, out var prefix, out _))
            {
                try
                {
                    Policies.Identities.AddCidr(prefix, value.Identity);
                }
                catch (ArgumentException)
                {
                    // The prefix has another number now: its entry is rewritten in place, after the switch.
                }
            }
        }

        Enforce();
        if (Policies.ReleaseUnnamedCidrs().Count > 0)
        {
            Enforce(onlyWherePeersChanged: true);
        }

        return new RestoreReport(restored, swept, problemList, Policies.Revision, Policies.Repository.Resources.Count);
    }

    // Endpoint numbers whose policy entries a restore removed (swept, or taken back onto a fresh writer).
    private readonly HashSet<uint> _clearedNumbers = [];

    /// <summary>
    /// Keeps what the maps still hold from being given to anything new, whether or not a file names it (an endpoint
    /// whose file was set aside stays in the kernel): its endpoint number (a new endpoint given it would share its
    /// policy buffers), its addresses (its routes are still in place), and the identity numbers the maps name (a new
    /// identity given one would inherit what policies say of it).
    /// </summary>
    private void WithholdWhatTheMapsHold(List<KeyValuePair<PolicyMapKey, PolicyMapValue>> policyEntries)
    {
        foreach (var (_, config) in Datapath.Endpoints.Entries<uint, EndpointConfig>())
        {
            _nextEndpointId = Math.Max(_nextEndpointId, config.EndpointId + 1);
            Policies.Identities.Withhold(config.Identity);
        }

        foreach (var (key, _) in policyEntries)
        {
            _nextEndpointId = Math.Max(_nextEndpointId, (key.PolicyId >> 1) + 1);
            Policies.Identities.Withhold(key.Identity);
        }

        foreach (var (key, value) in Datapath.Ipcache.Entries<IpcacheKey, IpcacheValue>())
        {
            // An endpoint's address (a host entry of an endpoint identity); a /32 a policy names is no address in use.
            var address = key.Address.ToAddress(key.Family);
            if (IpcacheKey.Host(address).PrefixLength == key.PrefixLength && IdentitySet.IsEndpointNumber(value.Identity))
            {
                _networks.Reserve(address);
            }

            Policies.Identities.Withhold(value.Identity);
        }
    }

    /// <summary>
    /// The policy state, or null when there is none yet. One that does not read is not set aside as other files are:
    /// starting without it would enforce no policy at all, so the agent refuses to start and the file stays for the
    /// user to repair or remove.
    /// </summary>
    private static PolicyState? ReadPolicies(StateStore state)
    {
        var path = state.PathOf(PoliciesKind, RepositoryName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return System.Text.Json.JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentStateJsonContext.Default.PolicyState)
                ?? throw new System.Text.Json.JsonException("the file holds null");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new AgentStateException(
                $"{path} does not read ({e.Message}). The agent does not start without its policies: the kernel keeps enforcing " +
                "what it had. Hint: repair the file, or move it away to start with no policies (then import them again)", e);
        }
    }

    private void RestorePolicies(StateStore state, PolicyState policies)
    {
        var path = state.PathOf(PoliciesKind, RepositoryName);
        try
        {
            foreach (var cidr in policies.Cidrs)
            {
                if (!Cidr.TryParse(cidr.Prefix, allowBareAddress: false, out var prefix, out var error))
                {
                    throw new FormatException($"cidrs: \"{cidr.Prefix}\": {error}");
                }

                Policies.Identities.AddCidr(prefix, cidr.Identity);
            }

            var live = policies.Live.Select(k => k.ToKey()).ToHashSet();
            var failed = Policies.Restore([.. policies.Imports.Select(i => (IReadOnlyList<PolicyText>)[.. i.Files.Select(f => new PolicyText(f.File, f.Text))])],
                live, policies.Revision);
            if (failed is not null)
            {
                var first = failed.Files.SelectMany(f => f.AllFindings.Where(x => x.Severity == Membrane.Policy.Diagnostics.Severity.Error)
                    .Select(x => $"{f.File}:{x.Position.Line}:{x.Position.Column}: {x.Path}: {x.Message}")).FirstOrDefault();
                throw new AgentStateException(
                    $"{path}: a policy held before no longer validates ({first}). The agent does not start, so the kernel keeps enforcing " +
                    "what it had. Hint: run the Membrane that imported it, or move the file away to start with no policies");
            }

            _imports = [.. policies.Imports];
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new AgentStateException($"{path}: {e.Message}. The agent does not start without its policies: the kernel keeps enforcing what it had", e);
        }
    }

    /// <summary>
    /// Takes an endpoint back: its addresses, its identity (same number), its ipcache entries, its buffers as the
    /// kernel holds them, and its attachments. Returns why it cannot be (its namespace or interface is gone), or null.
    /// </summary>
    private string? TakeBack(EndpointState endpoint, List<KeyValuePair<PolicyMapKey, PolicyMapValue>> policyEntries)
    {
        var network = endpoint.Network!.ToNetwork(endpoint.Name);
        var labels = new LabelSet([.. endpoint.Labels.Select(Label.Parse)]);
        if (!Enum.TryParse<AttachMode>(endpoint.AttachMode, out var mode) || mode == Membrane.Datapath.Ebpf.Attachment.AttachMode.Auto)
        {
            throw new FormatException($"attachMode: \"{endpoint.AttachMode}\" is not tcx or tc");
        }

        if (!NetworkNamespace.Exists(network.NetworkNamespace))
        {
            return $"its network namespace {network.NetworkNamespace} is gone";
        }

        using (var links = Rtnetlink.Open(_options.Node))
        {
            if (links.FindLink(network.HostInterface) is not { } link || link.Index != network.HostIndex)
            {
                return $"its interface {network.HostInterface} (index {network.HostIndex}) is gone";
            }
        }

        _networks.Restore(network);
        var addresses = new[] { network.IPv4, network.IPv6 };
        var ports = EndpointPorts.Parse(endpoint.Ports);
        if (Policies.Identities.Find(labels) is { } sharing && !EndpointPorts.Same(sharing.NamedPorts, ports))
        {
            throw new FormatException($"ports: another endpoint with the same labels (identity {sharing.Id}) names other ports");
        }

        var identity = Policies.Identities.Find(labels) is { } shared
            ? Policies.Identities.AddAddresses(shared.Id, addresses)
            : Policies.Identities.AddEndpoint(labels, endpoint.Identity, addresses, ports);
        if (identity.Id != endpoint.Identity)
        {
            throw new FormatException($"identity: {endpoint.Identity}, but another endpoint with the same labels has {identity.Id}");
        }

        // Its ipcache entries are the kernel's already (the ipcache writer took them over); the first regeneration
        // rewrites whatever differs, after the switch.
        var ifindex = (uint)network.HostIndex;
        var config = new EndpointConfig { EndpointId = endpoint.EndpointId, Identity = identity.Id }.WithAddresses(network.IPv4, network.IPv6);
        PolicyBufferWriter writer;
        if (Datapath.Endpoints.TryLookup(ifindex, out EndpointConfig live) && live.EndpointId == endpoint.EndpointId)
        {
            writer = PolicyBufferWriter.Resume(ifindex, live, policyEntries, _cookies, wanted: config);
        }
        else
        {
            // No configuration for it (its datapath was loaded anew, or the create stopped before it): a new writer
            // installs buffer 0 from nothing, so nothing of an earlier life under this number may be left in the map.
            DeletePolicyEntries(endpoint.EndpointId);
            writer = new PolicyBufferWriter(ifindex, config, _cookies);
        }

        var target = new AttachTarget(network.HostInterface, _options.Node);
        var attachments = new List<ProgramAttachment>();
        var backstops = new List<ProgramAttachment>();
        try
        {
            // The backstop first (kept, replaced in place, or added for an endpoint made before there was one), then
            // the programs: each kept when it runs this datapath's program, replaced, never removed first, when it runs
            // another, and attached anew when its pin is gone (a link whose pin was removed detached with the last agent).
            foreach (var direction in new[] { AttachDirection.Ingress, AttachDirection.Egress })
            {
                backstops.Add(ProgramAttachment.Adopt(Datapath.Backstop, target, direction, Membrane.Datapath.Ebpf.Attachment.AttachMode.TcClsact, null, TcPlacement.Backstop));
            }

            foreach (var (program, direction) in new[] { (Datapath.FromEndpoint, AttachDirection.Ingress), (Datapath.ToEndpoint, AttachDirection.Egress) })
            {
                attachments.Add(ProgramAttachment.Adopt(program, target, direction, mode, LinkPin(endpoint.Name, program.Name)));
            }
        }
        catch
        {
            attachments.ForEach(a => a.Release());
            backstops.ForEach(a => a.Release());
            throw;
        }

        AttachMode = attachments[0].Mode;
        var record = new EndpointRecord(endpoint.Name, endpoint.Namespace, endpoint.Labels, endpoint.EndpointId, identity.Id, network) { NamedPorts = ports };
        _endpoints[endpoint.Name] = new Managed(record, writer, attachments, backstops) { NamespaceInode = endpoint.NamespaceInode };
        SaveEndpoint(StateOf(record, EndpointLifecycle.Ready, AttachMode.Value, endpoint.NamespaceInode));
        return null;
    }

    /// <summary>
    /// Removes whatever an endpoint left that is not to be kept: its pinned links (a tcx link with no pin and no
    /// descriptor detaches), its host-side veth, its namespace unless adopted, its datapath entries (found by its
    /// endpoint number), its ipcache entries, and its file. Each part may be gone already.
    /// </summary>
    private void Sweep(EndpointState endpoint)
    {
        foreach (var program in new[] { Datapath.FromEndpoint.Name, Datapath.ToEndpoint.Name })
        {
            if (LinkPin(endpoint.Name, program) is { } pin && File.Exists(pin))
            {
                File.Delete(pin);
            }
        }

        var host = endpoint.Network?.HostInterface ?? HostInterfaceName.For(_options.NodeName, endpoint.Name);
        using (var links = Rtnetlink.Open(_options.Node))
        {
            if (links.FindLink(host) is not null)
            {
                links.DeleteLink(host);
            }
        }

        SweepNamespace(endpoint);

        foreach (var (ifindex, _) in Datapath.Endpoints.Entries<uint, EndpointConfig>().Where(e => e.Value.EndpointId == endpoint.EndpointId).ToList())
        {
            Datapath.Endpoints.Delete(ifindex);
        }

        DeletePolicyEntries(endpoint.EndpointId);
        ScrubFlows(endpoint.EndpointId, endpoint.Network is { } flows &&
            System.Net.IPAddress.TryParse(flows.IPv4, out var v4) && System.Net.IPAddress.TryParse(flows.IPv6, out var v6) ? [v4, v6] : []);

        if (endpoint.Network is { } stored && endpoint.Identity != 0)
        {
            foreach (var text in new[] { stored.IPv4, stored.IPv6 })
            {
                if (System.Net.IPAddress.TryParse(text, out var address) &&
                    _ipcache.Entries.TryGetValue(IpcacheKey.Host(address), out var value) && value.Identity == endpoint.Identity)
                {
                    _ipcache.Delete(IpcacheKey.Host(address));
                }
            }
        }

        _state?.Delete(EndpointsKind, endpoint.Name);
    }

    /// <summary>
    /// Removes the namespace a create or a delete left, only when it is the one the agent made: the inode the file
    /// recorded before the namespace was named (an empty file under /run/netns is what a create killed while naming it
    /// leaves), or, in a file of an earlier version, a network the file says was made here. Another namespace of that
    /// name is someone else's, and stays.
    /// </summary>
    private void SweepNamespace(EndpointState endpoint)
    {
        if (endpoint.AdoptedNamespace is not null || endpoint.Network is { AdoptedNamespace: true })
        {
            return;
        }

        var name = endpoint.Network?.NetworkNamespace ?? endpoint.Name;
        var inode = NetworkNamespace.InodeOfName(name);
        if (endpoint.NamespaceInode is { } made)
        {
            if (inode == made)
            {
                NetworkNamespace.Delete(name);
            }
            else if (inode is null)
            {
                NetworkNamespace.RemoveIfUnmounted(name);
            }
        }
        else if (endpoint.Network is not null && inode is not null)
        {
            NetworkNamespace.Delete(name);
        }
    }

    /// <summary>Deletes every policy map entry of an endpoint number, in both its buffers.</summary>
    private void DeletePolicyEntries(uint endpointId)
    {
        _clearedNumbers.Add(endpointId);
        foreach (var key in Datapath.Policy.Keys<PolicyMapKey>().Where(k => k.PolicyId >> 1 == endpointId).ToList())
        {
            Datapath.Policy.Delete(key);
        }
    }
}
