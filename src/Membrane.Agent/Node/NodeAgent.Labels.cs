using System.Collections.Immutable;
using Membrane.Agent.Endpoints;
using Membrane.Agent.State;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;

namespace Membrane.Agent.Node;

public sealed partial class NodeAgent
{
    /// <summary>
    /// Changes an endpoint's labels: <paramref name="set"/> adds labels, replacing any of the same source and key, and
    /// <paramref name="remove"/> takes keys away (<c>[SOURCE:]KEY</c>; without a source, the key whatever its source).
    /// Its identity changes with them (endpoints with the same labels share one), the ipcache follows, and every endpoint
    /// whose state depends on either identity is regenerated, each from one whole state to the next. Returns the
    /// endpoint as it is now. The namespace's labels are the namespace's, not the endpoint's to change.
    /// </summary>
    public EndpointRecord SetLabels(string name, LabelSet set, IReadOnlyCollection<string> remove)
    {
        using (Changing())
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var managed = _endpoints.GetValueOrDefault(name) ?? throw new ResourceNotFoundException("endpoint", name);
            var current = new LabelSet([.. managed.Record.Labels.Select(Label.Parse)]);
            Relabel([(managed, Edit(current, set, remove))]);
            return _endpoints[name].Record;
        }
    }

    private const string NamespacesKind = "namespaces";

    /// <summary>The label Kubernetes gives every namespace, with its name: set by the agent, not by a request.</summary>
    private const string NamespaceNameKey = "kubernetes.io/metadata.name";

    /// <summary>The namespaces that have labels, and their labels (keys and values as Kubernetes writes them).</summary>
    private readonly Dictionary<string, ImmutableSortedDictionary<string, string>> _namespaceLabels = new(StringComparer.Ordinal);

    /// <summary>Every namespace that has labels or endpoints, with its labels and its endpoints' names. Never waits for a change.</summary>
    public IReadOnlyList<(string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Endpoints)> Namespaces => _view.Namespaces;

    /// <summary>
    /// Changes a namespace's labels, which every endpoint of the namespace carries as
    /// <c>k8s:io.cilium.k8s.namespace.labels.KEY=VALUE</c> (namespace selectors match them), and which endpoints made in it
    /// later carry too. <paramref name="set"/>'s labels are written as a Kubernetes namespace's (a source is not theirs);
    /// <paramref name="remove"/> names keys. Every endpoint of the namespace changes identity as
    /// <see cref="SetLabels"/> does, all in one change. Returns the namespace's labels now.
    /// </summary>
    public IReadOnlyDictionary<string, string> SetNamespaceLabels(string name, LabelSet set, IReadOnlyCollection<string> remove)
    {
        if (!EndpointName.IsValidNamespace(name))
        {
            throw new ArgumentException($"namespace: \"{name}\" is not a Kubernetes namespace name (a DNS label of at most 63 characters)");
        }

        using (Changing())
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var label in set.Labels)
            {
                if (label.Source is not (Label.SourceKubernetes or Label.SourceAny or Label.SourceUnspecified))
                {
                    throw new ArgumentException($"labels: {label} has the source {label.Source}; a namespace's labels are Kubernetes labels, written KEY=VALUE");
                }
            }

            var keys = set.Labels.Select(l => l.Key).Concat(remove.Select(r => Label.SplitKey(r).Key)).ToList();
            if (keys.FirstOrDefault(k => k == NamespaceNameKey || k == Label.NamespaceKey || k.StartsWith("io.cilium.", StringComparison.Ordinal)) is { } reserved)
            {
                throw new ArgumentException($"labels: {reserved} is set by the agent, not by a request (every namespace has {NamespaceNameKey}=NAME)");
            }

            var before = NamespaceLabels(name);
            var after = before.RemoveRange(remove.Select(r => Label.SplitKey(r).Key)).SetItems(set.Labels.Select(l => KeyValuePair.Create(l.Key, l.Value)));
            if (after.Count > EndpointLabels.MaxLabels)
            {
                throw new ArgumentException($"labels: {after.Count} labels; a namespace has at most {EndpointLabels.MaxLabels}");
            }

            var members = _endpoints.Values.Where(e => e.Record.KubernetesNamespace == name).ToList();
            Relabel([.. members.Select(e => (e, WithNamespaceLabels(new LabelSet([.. e.Record.Labels.Select(Label.Parse)]), after)))],
                beforeSwitch: () => SaveNamespace(name, after), takeBack: () => SaveNamespace(name, before));
            return after;
        }
    }

    /// <summary>A namespace's labels; empty for one that has none.</summary>
    private ImmutableSortedDictionary<string, string> NamespaceLabels(string name) =>
        _namespaceLabels.GetValueOrDefault(name) ?? ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>The endpoint's labels with its namespace's labels in place of those it had.</summary>
    private static LabelSet WithNamespaceLabels(LabelSet labels, IReadOnlyDictionary<string, string> namespaceLabels) => new(
    [
        .. labels.Labels.Where(l => !l.Key.StartsWith(Label.NamespaceLabelsPrefix, StringComparison.Ordinal)),
        .. namespaceLabels.Select(l => new Label(Label.SourceKubernetes, Label.NamespaceLabelsPrefix + l.Key, l.Value)),
    ]);

    private void SaveNamespace(string name, ImmutableSortedDictionary<string, string> labels)
    {
        if (labels.Count == 0)
        {
            _state?.Delete(NamespacesKind, name);
            _namespaceLabels.Remove(name);
            return;
        }

        _state?.Write(NamespacesKind, name, new NamespaceState(name, new Dictionary<string, string>(labels, StringComparer.Ordinal)), AgentStateJsonContext.Default.NamespaceState);
        _namespaceLabels[name] = labels;
    }

    /// <summary>Reads the namespaces' labels back at start; a file that does not read is set aside, as an endpoint's is.</summary>
    private IEnumerable<StateFileProblem> RestoreNamespaces(StateStore state)
    {
        var (namespaces, problems) = state.ReadAll(NamespacesKind, AgentStateJsonContext.Default.NamespaceState);
        var found = problems.ToList();
        foreach (var (file, ns) in namespaces)
        {
            if (ns.Name != file || !EndpointName.IsValidNamespace(ns.Name) || ns.Labels is null ||
                ns.Labels.Any(l => !LabelSet.TryParse($"{l.Key}={l.Value}", out var parsed, out _) || parsed.Labels.Length != 1))
            {
                found.Add(state.SetAside(NamespacesKind, file, $"the file names namespace \"{ns.Name}\", or labels that do not read"));
                continue;
            }

            _namespaceLabels[ns.Name] = ns.Labels.ToImmutableSortedDictionary(StringComparer.Ordinal);
        }

        return found;
    }

    /// <summary>The labels after the edit; refuses to touch the namespace's labels, or to go over the limit.</summary>
    private static LabelSet Edit(LabelSet current, LabelSet set, IReadOnlyCollection<string> remove)
    {
        static bool IsNamespaces(string key) => key == Label.NamespaceKey || key.StartsWith(Label.NamespaceLabelsPrefix, StringComparison.Ordinal);

        var removing = remove.Select(Label.SplitKey).ToList();
        foreach (var key in set.Labels.Select(l => l.Key).Concat(removing.Select(r => r.Key)).Where(IsNamespaces))
        {
            throw new ArgumentException($"labels: {key} is the namespace's, not the endpoint's; a namespace's labels change with `membrane namespace label`");
        }

        bool Removed(Label label) =>
            removing.Any(r => r.Key == label.Key && (r.Source is Label.SourceAny or "" || r.Source == label.Source)) ||
            set.Labels.Any(s => s.Key == label.Key && s.Source == label.Source);

        var next = current.Labels.Where(l => !Removed(l)).Concat(set.Labels).ToList();
        if (next.Count(l => !IsNamespaces(l.Key)) > EndpointLabels.MaxLabels)
        {
            throw new ArgumentException($"labels: {next.Count} labels; an endpoint has at most {EndpointLabels.MaxLabels}");
        }

        return new LabelSet(next);
    }

    /// <summary>
    /// Gives endpoints new labels, and with them new identities, so that every packet's verdict is, at every moment, its
    /// verdict under the old labels or under the new ones:
    /// <list type="number">
    /// <item>the new identities are added with no address yet, and every endpoint whose state selects them is
    /// regenerated: every state now knows the old identities and the new;</item>
    /// <item>the endpoints' addresses move to their new identities, and the endpoints take them as their own, with
    /// their states under them; their state files are saved before the switch, and the ipcache entries are overwritten
    /// after it (never removed first: an address would be world for a moment);</item>
    /// <item>old identities no endpoint has any more are removed, and the states that knew them regenerated.</item>
    /// </list>
    /// A failure in the first two takes everything back; the third only frees what is no longer needed.
    /// </summary>
    private void Relabel(IReadOnlyList<(Managed Endpoint, LabelSet Labels)> requested, Action? beforeSwitch = null, Action? takeBack = null)
    {
        var changes = requested.Where(c => !c.Labels.Equals(new LabelSet([.. c.Endpoint.Record.Labels.Select(Label.Parse)]))).ToList();
        if (changes.Count == 0)
        {
            beforeSwitch?.Invoke();
            return;
        }

        // Named ports live on the identity: endpoints that come to share one must name the same ports.
        var portsByLabels = new Dictionary<LabelSet, (string Name, IReadOnlyDictionary<string, NamedPort> Ports)>();
        foreach (var (endpoint, labels) in changes)
        {
            var record = endpoint.Record;
            var sharing = Policies.Identities.Find(labels) is { } found && found.Id != record.Identity
                ? (found.NamedPorts, $"identity {found.Id}")
                : portsByLabels.TryGetValue(labels, out var other) ? (other.Ports, $"endpoint {other.Name}") : default;
            if (sharing.Item1 is { } ports && !EndpointPorts.Same(ports, record.NamedPorts))
            {
                throw new ResourceConflictException($"endpoint {record.Name} would take the labels of {sharing.Item2}, whose endpoints name other ports: " +
                    "endpoints with the same labels share an identity, and must name the same ports");
            }

            portsByLabels[labels] = (record.Name, record.NamedPorts);
        }

        var before = changes.Select(c => c.Endpoint).ToList();
        var added = new List<uint>();
        var moved = new List<(Managed Before, Managed After)>();
        var saved = new List<Managed>();
        var savedExtra = false;
        try
        {
            foreach (var (endpoint, labels) in changes)
            {
                if (Policies.Identities.Find(labels) is null)
                {
                    added.Add(Policies.Identities.AddEndpoint(labels, id: _options.IdentityNumbers?.Invoke(labels), addresses: [], namedPorts: endpoint.Record.NamedPorts).Id);
                }
            }

            Enforce(onlyWherePeersChanged: true);

            foreach (var (endpoint, labels) in changes)
            {
                var record = endpoint.Record;
                var addresses = new[] { record.Network.IPv4, record.Network.IPv6 };
                Policies.Identities.RemoveAddresses(record.Identity, addresses);
                var identity = Policies.Identities.AddAddresses(Policies.Identities.Find(labels)!.Id, addresses);
                var after = endpoint with { Record = record with { Labels = [.. labels.Labels.Select(l => l.ToString())], Identity = identity.Id } };
                after.Writer.WantIdentity(identity.Id);
                _endpoints[record.Name] = after;
                moved.Add((endpoint, after));
            }

            Enforce(moveAddresses: true, beforeSwitch: () =>
            {
                // Each file is recorded as written before the next is tried: a failure part way takes back exactly
                // those. The caller's own (a namespace's file) comes last, so a crash between leaves the endpoints'.
                foreach (var (_, after) in moved)
                {
                    saved.Add(after);
                    SaveEndpoint(StateOf(after.Record, EndpointLifecycle.Ready, after.Attachments[0].Mode, after.NamespaceInode));
                }

                savedExtra = true;
                beforeSwitch?.Invoke();
            });
        }
        catch (Exception failure)
        {
            TakeBackRelabel(moved, added, saved, failure);
            if (savedExtra)
            {
                TryTakeBack("its namespace's file", takeBack, failure);
            }

            throw;
        }

        try
        {
            var released = false;
            foreach (var old in before.Select(e => e.Record.Identity).Distinct())
            {
                if (Policies.Identities[old] is { Addresses.IsEmpty: true } && !_endpoints.Values.Any(e => e.Record.Identity == old))
                {
                    released |= Policies.Identities.Remove(old);
                }
            }

            if (released)
            {
                Enforce(onlyWherePeersChanged: true);
            }
        }
        catch (Exception e)
        {
            Warning?.Invoke($"the labels are changed, but the identities they no longer need could not all be freed ({e.Message}); the next change does it");
        }
    }

    /// <summary>
    /// Puts the endpoints back on their old identities and labels, and the kernel and the state files with them. The
    /// agent's own view first, whole, since nothing there can fail; then each file and the kernel, each tried whatever
    /// the one before did, so that one refusal does not leave the rest half taken back.
    /// </summary>
    private void TakeBackRelabel(List<(Managed Before, Managed After)> moved, List<uint> added, List<Managed> saved, Exception failure)
    {
        foreach (var (before, after) in Enumerable.Reverse(moved))
        {
            var addresses = new[] { after.Record.Network.IPv4, after.Record.Network.IPv6 };
            Policies.Identities.RemoveAddresses(after.Record.Identity, addresses);
            Policies.Identities.AddAddresses(before.Record.Identity, addresses);
            before.Writer.WantIdentity(before.Record.Identity);
            _endpoints[before.Record.Name] = before;
        }

        foreach (var id in added)
        {
            Policies.Identities.Remove(id);
        }

        foreach (var (before, _) in moved.Where(m => saved.Contains(m.After)))
        {
            TryTakeBack($"endpoint {before.Record.Name}'s state file",
                () => SaveEndpoint(StateOf(before.Record, EndpointLifecycle.Ready, before.Attachments[0].Mode, before.NamespaceInode)), failure);
        }

        TryTakeBack("the kernel's maps", () => Enforce(moveAddresses: true), failure);
    }

    private void TryTakeBack(string what, Action? takeBack, Exception failure)
    {
        try
        {
            takeBack?.Invoke();
        }
        catch (Exception e)
        {
            Warning?.Invoke($"a label change was refused ({failure.Message}), and taking back {what} failed ({e.Message}); the next change does it");
        }
    }
}
