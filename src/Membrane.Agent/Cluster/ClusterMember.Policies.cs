using Etcdserverpb;
using Google.Protobuf;
using Membrane.Agent.Control;
using Membrane.Agent.Node;
using Membrane.Cluster;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Model;
using Membrane.Policy.Printing;
using Membrane.Policy.Validation;
using Microsoft.Extensions.Logging;

namespace Membrane.Agent.Cluster;

public sealed partial class ClusterMember
{
    // The cluster's policy documents this node enforces, by etcd key, with the resource each one is.
    private readonly Dictionary<string, (string Text, ResourceKey Resource)> _appliedPolicies = new(StringComparer.Ordinal);
    private bool _policiesListed;

    /// <summary>
    /// Cluster mode's import: validated here as any import (nothing is written when anything is invalid or, unless
    /// <paramref name="allowL4Only"/>, not enforced), then every resource is written in one etcd transaction, all or
    /// nothing, each as its canonical YAML under its own key, with the cluster's policy revision. Returns once this node
    /// enforces that revision (every node applies it from its watch); the change's revision is etcd's.
    /// </summary>
    public async Task<PolicyChange> ImportAsync(IReadOnlyList<PolicyText> texts, bool allowL4Only, CancellationToken cancellation)
    {
        var staged = _agent.StageImport(texts, allowL4Only);
        if (!staged.IsValid)
        {
            return _agent.Policies.Commit(staged);
        }

        if (staged.Put.FirstOrDefault(r => r.Key.Kind == PolicyKind.CiliumRule) is { } bare)
        {
            throw new ArgumentException($"{bare.Key.Name}: a bare Cilium rule has no name to keep it by in the cluster; " +
                "write it as the spec of a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy");
        }

        var ops = staged.Put.Select(r => Put(KeyOf(r.Key), PolicyPrinter.Print([r.Document]))).ToList();
        var revision = await WritePoliciesAsync(ops, $"import {staged.Put.Count} policies", cancellation);
        await WaitEnforcedAsync(revision, cancellation);
        return new PolicyChange(staged.Report, Applied: true, revision, System.Collections.Immutable.ImmutableDictionary<uint, Membrane.Policy.Engine.MapState.MapStateDelta>.Empty);
    }

    /// <summary>Cluster mode's delete: the resources' keys are deleted in one transaction; returns once this node enforces it.</summary>
    public async Task<long> DeleteAsync(IReadOnlyCollection<ResourceKey> keys, CancellationToken cancellation)
    {
        var ops = keys.Select(k => new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(KeyOf(k)) } }).ToList();
        var revision = await WritePoliciesAsync(ops, $"delete {keys.Count} policies", cancellation);
        await WaitEnforcedAsync(revision, cancellation);
        return revision;
    }

    /// <summary>The etcd key of a policy resource.</summary>
    public static string KeyOf(ResourceKey key) => ClusterKeys.Policy(key.Kind.ToString(), key.Namespace, key.Name);

    private async Task<long> WritePoliciesAsync(List<RequestOp> ops, string what, CancellationToken cancellation)
    {
        if (ops.Count + 1 > MaxTransactionOps)
        {
            throw new ArgumentException($"{ops.Count} policy resources in one change; etcd takes at most 128 operations in a transaction " +
                $"(its --max-txn-ops), so one change holds at most {MaxTransactionOps - 1} resources: split the import");
        }

        ops.Add(Put(ClusterState.PolicyRevisionKey, ""));
        var request = new TxnRequest();
        request.Success.AddRange(ops);
        var answer = await ClusterJoin.Bounded(_options.Etcd, ct => _join.Etcd.TxnAsync(request, what, ct), cancellation);
        return answer.Header.Revision;
    }

    /// <summary>Waits until this node enforces <paramref name="revision"/> (its watch has brought it, and the change is made).</summary>
    private async Task WaitEnforcedAsync(long revision, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + _changeTimeout;
        while (AppliedRevision < revision)
        {
            if (_applyFailure is { } failure && failure.Revision >= revision)
            {
                throw new InvalidOperationException($"the cluster holds the change (etcd revision {revision}), but this node does not enforce it: {failure.Message}. " +
                    "The node keeps enforcing what it had, and tries again; `membrane cluster status` shows each node's health");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new ChangeTimeoutException($"the cluster's policy revision {revision}", _changeTimeout, started: true);
            }

            await Task.Delay(5, cancellation);
        }
    }

    private static RequestOp Put(string key, string value) =>
        new() { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) } };

    /// <summary>
    /// Brings the node's policies to the cluster's: documents new or changed since the last pass are validated and
    /// imported, those gone are deleted, as one change. A document that does not validate, or that is not the resource
    /// its key names, is skipped (bad data, reported in <paramref name="refused"/>); the others are applied. At the
    /// first pass, policies the node holds that the cluster does not are deleted: in cluster mode the cluster's are the
    /// node's.
    /// </summary>
    private async Task ApplyPoliciesAsync(Dictionary<string, string> documents, List<string> refused, CancellationToken stopping)
    {
        var changed = documents.Where(d => !_appliedPolicies.TryGetValue(d.Key, out var applied) || applied.Text != d.Value)
            .Select(d => new PolicyText(d.Key, d.Value)).ToList();
        var gone = _appliedPolicies.Where(a => !documents.ContainsKey(a.Key)).ToList();

        // Each changed document alone first: one that does not validate, or is not its key's resource, must not hold up the rest.
        var accepted = new List<PolicyText>();
        var resources = new Dictionary<string, ResourceKey>(StringComparer.Ordinal);
        foreach (var text in changed)
        {
            var alone = _agent.StageImport([text], allowL4Only: true);
            var keys = alone.Put.Select(r => r.Key).ToList();
            if (!alone.IsValid || keys.Count != 1 || KeyOf(keys[0]) != text.File)
            {
                refused.Add(!alone.IsValid
                    ? $"{text.File}: the policy does not validate ({string.Join("; ", alone.Report.Files.SelectMany(f => f.AllFindings).Take(3).Select(f => $"{f.Position.Line}:{f.Position.Column} {f.Path}: {f.Message}"))})"
                    : $"{text.File}: the document is {(keys.Count == 1 ? keys[0].ToString() : $"{keys.Count} resources")}, not the one resource its key names");
                continue;
            }

            accepted.Add(text);
            resources[text.File] = keys[0];
        }

        var deletes = gone.Select(g => g.Value.Resource).ToList();
        if (!_policiesListed)
        {
            var wanted = resources.Values.Concat(_appliedPolicies.Where(a => documents.ContainsKey(a.Key)).Select(a => a.Value.Resource)).ToHashSet();
            deletes.AddRange(_agent.PolicySnapshot.Resources.Select(r => r.Key).Where(k => !wanted.Contains(k)));
        }

        if (accepted.Count > 0 || deletes.Count > 0)
        {
            var put = accepted.Count > 0 ? _agent.StageImport(accepted, allowL4Only: true) : null;
            var change = put is null
                ? StagedPolicyChange.Delete(deletes.Distinct())
                : new StagedPolicyChange(PolicyService.Combine([put, PolicyService.StageDelete(deletes.Distinct())]), StagedPolicyChange.Of(put, accepted).Import);
            await _regenerator.ChangePoliciesAsync($"the cluster's policies ({accepted.Count} put, {deletes.Count} deleted)", change, _changeTimeout, stopping);
        }

        foreach (var (key, _) in gone)
        {
            _appliedPolicies.Remove(key);
        }

        foreach (var text in accepted)
        {
            _appliedPolicies[text.File] = (text.Text, resources[text.File]);
        }

        _policiesListed = true;
    }
}
