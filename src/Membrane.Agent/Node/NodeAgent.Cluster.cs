using System.Net;
using Membrane.Agent.State;
using Membrane.Policy.Engine.Labels;

namespace Membrane.Agent.Node;

public sealed partial class NodeAgent
{
    private const string RemoteKind = "remote";
    private const string RemoteName = "endpoints";

    /// <summary>The other nodes' endpoint addresses enforced against now, by address.</summary>
    private Dictionary<IPAddress, RemoteEndpoint> _remote = [];

    /// <summary>The other nodes' endpoint addresses this node enforces against, as the last change left them.</summary>
    public IReadOnlyCollection<RemoteEndpoint> RemoteEndpoints => _view.Remote;

    /// <summary>
    /// Brings the other nodes' endpoints to <paramref name="desired"/> (the whole set the cluster publishes now): their
    /// identities are learnt (with the cluster's numbers), their addresses go into the ipcache, and every endpoint whose
    /// state selects them is regenerated, all or nothing, as a local endpoint's arrival is. An address that moves to
    /// another identity is overwritten after the switch, never removed first (it would be world for a moment);
    /// identities left with no address go after. Entries that cannot be taken are skipped and returned with why: one
    /// that claims this node's own addresses, or an identity whose number or labels this node knows otherwise. With a
    /// state directory the set is saved before the switch, so a restarted agent enforces it from its first change.
    /// </summary>
    public IReadOnlyList<string> ApplyRemote(IReadOnlyCollection<RemoteEndpoint> desired)
    {
        using (Changing())
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var skipped = new List<string>();
            var local = _endpoints.Values.SelectMany(e => new[] { e.Record.Network.IPv4, e.Record.Network.IPv6 }).ToHashSet();
            var wanted = new Dictionary<IPAddress, RemoteEndpoint>();
            foreach (var entry in desired)
            {
                if (local.Contains(entry.Address) || _options.IPv4Pool.Contains(entry.Address) || _options.IPv6Pool.Contains(entry.Address))
                {
                    skipped.Add($"{entry.Address} (node {entry.Node}): the address is in this node's pod CIDR, and only this node's endpoints have those");
                    continue;
                }

                wanted[entry.Address] = entry;
            }

            var removals = _remote.Values.Where(r => !wanted.TryGetValue(r.Address, out var w) || w.Identity != r.Identity).ToList();
            var additions = wanted.Values.Where(w => !_remote.TryGetValue(w.Address, out var r) || r.Identity != w.Identity).ToList();
            if (removals.Count == 0 && additions.Count == 0)
            {
                return skipped;
            }

            var undo = new Stack<Action>();
            var next = new Dictionary<IPAddress, RemoteEndpoint>(_remote);
            try
            {
                foreach (var gone in removals)
                {
                    Policies.Identities.RemoveAddresses(gone.Identity, [gone.Address]);
                    undo.Push(() => Policies.Identities.AddAddresses(gone.Identity, [gone.Address]));
                    next.Remove(gone.Address);
                }

                foreach (var entry in additions)
                {
                    if (Learn(entry, undo) is { } problem)
                    {
                        skipped.Add($"{entry.Address} (node {entry.Node}, identity {entry.Identity}): {problem}");
                        continue;
                    }

                    next[entry.Address] = entry;
                }

                Enforce(onlyWherePeersChanged: true, moveAddresses: true, beforeSwitch: () => SaveRemote(next));
            }
            catch (Exception failure)
            {
                while (undo.TryPop(out var step))
                {
                    step();
                }

                TryTakeBackRemote(failure);
                throw;
            }

            _remote = next;

            // Identities that lost their last address (remote, and no endpoint here has them) go once no address names them.
            var released = false;
            foreach (var id in removals.Select(r => r.Identity).Distinct())
            {
                if (Policies.Identities[id] is { Addresses.IsEmpty: true } && !_endpoints.Values.Any(e => e.Record.Identity == id))
                {
                    released |= Policies.Identities.Remove(id);
                }
            }

            if (released)
            {
                try
                {
                    Enforce(onlyWherePeersChanged: true);
                }
                catch (Exception e)
                {
                    Warning?.Invoke($"the other nodes' endpoints are applied, but identities no longer used could not be freed ({e.Message}); the next change does it");
                }
            }

            return skipped;
        }
    }

    /// <summary>Gives a remote address its identity, learning the identity when the node does not know it; why not, or null.</summary>
    private string? Learn(RemoteEndpoint entry, Stack<Action> undo)
    {
        var byLabels = Policies.Identities.Find(entry.Labels);
        var byNumber = Policies.Identities[entry.Identity];
        if (byNumber is not null && (!byNumber.IsEndpoint || byLabels?.Id != entry.Identity))
        {
            return $"this node knows identity {entry.Identity} with other labels ({byNumber.Labels})";
        }

        if (byLabels is not null && byLabels.Id != entry.Identity)
        {
            return $"this node knows these labels as identity {byLabels.Id}";
        }

        if (!IdentitySetAccepts(entry.Identity))
        {
            return "not an endpoint identity number";
        }

        try
        {
            if (byNumber is null)
            {
                Policies.Identities.AddEndpoint(entry.Labels, entry.Identity, [entry.Address]);
                undo.Push(() => Policies.Identities.Remove(entry.Identity));
            }
            else
            {
                Policies.Identities.AddAddresses(entry.Identity, [entry.Address]);
                undo.Push(() => Policies.Identities.RemoveAddresses(entry.Identity, [entry.Address]));
            }
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }

        return null;
    }

    private static bool IdentitySetAccepts(uint id) => Membrane.Policy.Engine.Identities.IdentitySet.IsEndpointNumber(id);

    private void TryTakeBackRemote(Exception failure)
    {
        try
        {
            SaveRemote(_remote);
            Enforce(onlyWherePeersChanged: true, moveAddresses: true);
        }
        catch (Exception e)
        {
            Warning?.Invoke($"applying the other nodes' endpoints was refused ({failure.Message}), and taking it back failed ({e.Message}); the next change does it");
        }
    }

    private void SaveRemote(Dictionary<IPAddress, RemoteEndpoint> remote) =>
        _state?.Write(RemoteKind, RemoteName, new RemoteState([.. remote.Values.OrderBy(r => r.Address.ToString(), StringComparer.Ordinal)
            .Select(r => new RemoteEndpointState(r.Address.ToString(), r.Identity, r.Labels.ToString(), r.Node))]), AgentStateJsonContext.Default.RemoteState);

    /// <summary>
    /// Takes the other nodes' endpoints back at start, before the first regeneration, so that no state is regenerated
    /// without them (their verdicts would change until etcd was reached again). A file that does not read is set aside:
    /// its entries come back from etcd; until then those peers are world (fail closed).
    /// </summary>
    private IEnumerable<StateFileProblem> RestoreRemote(StateStore state)
    {
        var (files, problems) = state.ReadAll(RemoteKind, AgentStateJsonContext.Default.RemoteState);
        var found = problems.ToList();
        foreach (var (file, remote) in files.Where(f => f.Name == RemoteName))
        {
            var skipped = new List<string>();
            foreach (var entry in remote.Endpoints ?? [])
            {
                if (!IPAddress.TryParse(entry.Address, out var address) || !LabelSet.TryParse(entry.Labels, out var labels, out _) ||
                    Learn(new RemoteEndpoint(address, entry.Identity, labels, entry.Node), new Stack<Action>()) is { } problem)
                {
                    skipped.Add(entry.Address);
                    continue;
                }

                _remote[address] = new RemoteEndpoint(address, entry.Identity, labels, entry.Node);
            }

            if (skipped.Count > 0)
            {
                Warning?.Invoke($"{skipped.Count} of the other nodes' endpoints kept in the state directory were not taken back ({string.Join(", ", skipped.Take(5))}); they come back from etcd");
            }
        }

        return found;
    }
}
