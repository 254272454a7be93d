using Membrane.Agent.State;
using Membrane.Datapath.Ebpf.Attachment;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Bpf.Programs;
using Membrane.Policy.Engine.Service;

namespace Membrane.Agent.Node;

/// <summary>The agent's pins and state files: where they are, and how each change is made durable.</summary>
public sealed partial class NodeAgent
{
    private static string LinkDirectory(string pinRoot) => Path.Combine(pinRoot, "links");

    private static string DatapathDirectory(string pinRoot) => Path.Combine(pinRoot, "datapath");

    /// <summary>Where an endpoint's link of one program is pinned (tcx), under the pin root.</summary>
    private string? LinkPin(string endpoint, string program) =>
        _options.PinRoot is { } root ? Path.Combine(LinkDirectory(root), $"{endpoint}_{program}") : null;

    /// <summary>The datapath pinned under the pin root, taken back; or a new one, loaded and pinned there.</summary>
    private static LoadedDatapath OpenDatapath(NodeAgentOptions options, out bool reopened)
    {
        reopened = false;
        if (options.PinRoot is not { } root)
        {
            return DatapathLoader.Load(options.Datapath);
        }

        var directory = DatapathDirectory(root);
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            reopened = true;
            return LoadedDatapath.OpenPinned(directory, options.Datapath);
        }

        var datapath = DatapathLoader.Load(options.Datapath);
        try
        {
            Directory.CreateDirectory(directory);
            datapath.Pin(directory);
            return datapath;
        }
        catch
        {
            datapath.Dispose();
            throw;
        }
    }

    /// <summary>Attaches a program to an endpoint's host-side veth, and pins the link.</summary>
    private ProgramAttachment Attach(BpfProgram program, AttachTarget target, AttachDirection direction, string endpoint)
    {
        var attachment = ProgramAttachment.Attach(program, target, direction);
        try
        {
            if (LinkPin(endpoint, program.Name) is { } pin)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(pin)!);
                attachment.Pin(pin);
            }

            return attachment;
        }
        catch
        {
            attachment.Dispose();
            throw;
        }
    }

    private static EndpointState StateOf(EndpointRecord record, EndpointLifecycle lifecycle, AttachMode mode) => new(
        record.Name, record.KubernetesNamespace, record.Labels, record.EndpointId, record.Identity, lifecycle,
        record.Network.AdoptedNamespace ? record.Network.NetworkNamespace : null, StoredNetwork.Of(record.Network), mode.ToString());

    private void SaveEndpoint(EndpointState state) => _state?.Write(EndpointsKind, state.Name, state, AgentStateJsonContext.Default.EndpointState);

    /// <summary>The state directory, opened; one that cannot even be made is a reason not to start.</summary>
    private static StateStore OpenState(string directory)
    {
        try
        {
            return new StateStore(directory);
        }
        catch (StateStoreException e)
        {
            throw new AgentStateException($"state directory {directory} cannot be used: {e.Message}. Hint: make it writable to root again", e);
        }
    }

    /// <summary>
    /// The policies file as it will be after a change (and the imports kept): an import is kept while it is the last to
    /// supply a policy still held, so replaying the kept ones in order gives every held policy its latest text.
    /// </summary>
    private (PolicyState State, List<StoredImport> Imports) NextPolicyState(StoredImport? added)
    {
        var imports = added is null ? _imports : [.. _imports, added];
        var live = Policies.Repository.Resources.Select(r => r.Key).ToHashSet();
        var lastSource = new Dictionary<ResourceKey, int>();
        for (var i = 0; i < imports.Count; i++)
        {
            foreach (var key in imports[i].Keys)
            {
                lastSource[key.ToKey()] = i;
            }
        }

        var kept = lastSource.Where(kv => live.Contains(kv.Key)).Select(kv => kv.Value).ToHashSet();
        var named = Membrane.Policy.Engine.Rules.RuleCompiler.Prefixes(Policies.Rules).ToHashSet();
        var pruned = imports.Where((_, i) => kept.Contains(i)).ToList();
        var state = new PolicyState(Policies.Revision, pruned,
            [.. live.Select(StoredPolicyKey.Of).OrderBy(k => k.ToString(), StringComparer.Ordinal)],
            [.. Policies.Identities.All.Where(i => i.IsCidr && i.Prefix is { } prefix && named.Contains(prefix)).OrderBy(i => i.Id)
                .Select(i => new StoredCidr(i.Id, i.Prefix!.Value.ToString()))]);
        return (state, pruned);
    }

    /// <summary>Writes the policies file (or removes it, for null: no policies were ever saved); a failure is a <see cref="StateStoreException"/>.</summary>
    private void WritePolicies(PolicyState? state)
    {
        if (_state is null)
        {
            return;
        }

        if (state is null)
        {
            _state.Delete(PoliciesKind, RepositoryName);
            return;
        }

        _state.Write(PoliciesKind, RepositoryName, state, AgentStateJsonContext.Default.PolicyState);
    }
}
