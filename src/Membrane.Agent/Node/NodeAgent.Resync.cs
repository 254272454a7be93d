using Membrane.Datapath.Layout;

namespace Membrane.Agent.Node;

public sealed partial class NodeAgent
{
    /// <summary>Raised by <see cref="Resync"/> when it put something back (the host logs it, the metrics count it).</summary>
    public event Action<DriftReport>? DriftRepaired;

    /// <summary>
    /// Compares the kernel's maps with what the agent wrote, and puts back what differs: each endpoint's configuration,
    /// both of its policy buffers (entries missing, changed, or there that it never wrote), and the ipcache. Between
    /// changes nothing else should write these maps; something that did (root on the node, a bug, a tool) would make
    /// the kernel enforce what the agent does not say, so drift is repaired and reported rather than trusted.
    /// Entries of endpoints the agent left in the kernel because their files did not read are not touched.
    /// </summary>
    public DriftReport Resync()
    {
        lock (_lock)
        {
            if (_disposed || !_started)
            {
                return DriftReport.None;
            }

            var configs = 0;
            var policies = 0;
            var kernelPolicy = Datapath.Policy.Entries<PolicyMapKey, PolicyMapValue>().ToLookup(e => e.Key.PolicyId);
            foreach (var managed in _endpoints.Values)
            {
                var writer = managed.Writer;
                if (writer.Installed && (!Datapath.Endpoints.TryLookup(writer.Ifindex, out EndpointConfig live) || live != writer.Endpoint))
                {
                    PolicyTarget.SetEndpoint(writer.Ifindex, writer.Endpoint);
                    configs++;
                }

                for (var buffer = 0; buffer < 2; buffer++)
                {
                    var policyId = EndpointConfig.PolicyIdOf(writer.Endpoint.EndpointId, buffer);
                    var wanted = writer.Snapshot(buffer);
                    var held = kernelPolicy[policyId].ToDictionary(e => e.Key with { PolicyId = 0 }, e => e.Value);
                    foreach (var (key, value) in wanted.Where(w => !held.TryGetValue(w.Key, out var h) || h != w.Value))
                    {
                        PolicyTarget.UpsertPolicy(key with { PolicyId = policyId }, value);
                        policies++;
                    }

                    foreach (var key in held.Keys.Where(k => !wanted.ContainsKey(k)))
                    {
                        PolicyTarget.DeletePolicy(key with { PolicyId = policyId });
                        policies++;
                    }
                }
            }

            var ipcache = 0;
            var kernelIpcache = Datapath.Ipcache.Entries<IpcacheKey, IpcacheValue>().ToDictionary(e => e.Key, e => e.Value);
            foreach (var (key, value) in _ipcache.Entries.Where(w => !kernelIpcache.TryGetValue(w.Key, out var h) || h != w.Value).ToList())
            {
                _ipcache.Upsert(key, value);
                ipcache++;
            }

            foreach (var key in kernelIpcache.Keys.Where(k => !_ipcache.Entries.ContainsKey(k)).ToList())
            {
                Datapath.Ipcache.Delete(key);
                ipcache++;
            }

            var report = new DriftReport(configs, policies, ipcache);
            if (report.Total > 0)
            {
                DriftRepaired?.Invoke(report);
            }

            return report;
        }
    }
}
