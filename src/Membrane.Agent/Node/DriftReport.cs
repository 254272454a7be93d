namespace Membrane.Agent.Node;

/// <summary>
/// What a resync found in the kernel's maps that differed from what the agent had written, and put back: endpoint
/// configurations, policy entries (both buffers of every endpoint) and ipcache entries.
/// </summary>
public sealed record DriftReport(int EndpointConfigs, int PolicyEntries, int IpcacheEntries)
{
    public static DriftReport None { get; } = new(0, 0, 0);

    public int Total => EndpointConfigs + PolicyEntries + IpcacheEntries;

    public override string ToString() =>
        $"{EndpointConfigs} endpoint configurations, {PolicyEntries} policy entries, {IpcacheEntries} ipcache entries";
}
