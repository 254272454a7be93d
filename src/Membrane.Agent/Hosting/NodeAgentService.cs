using Membrane.Agent.Node;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Membrane.Agent.Hosting;

/// <summary>
/// Starts the node agent when the host starts: first of the hosted services, since the monitor and the background
/// work read its datapath, and before the API listens, so that no request meets an agent still restoring. The agent
/// is disposed by <see cref="AgentHost.RunAsync"/> once the host has stopped and every request is done: a change
/// running then completes, or is taken back, first.
/// </summary>
internal sealed class NodeAgentService(NodeAgent agent, AgentHostOptions options, ILogger<NodeAgentService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        agent.Warning += message => logger.LogWarning("{Warning}", message);
        agent.Start();

        // Written at every start, before any monitor can attach: a pinned datapath keeps the rate the last agent gave it.
        var config = agent.Datapath.GetConfig();
        agent.Datapath.SetConfig(config with { EventRate = options.EventRate, EventBurst = options.EventRate });

        // Only now, with the state directory's and the bpffs root's locks held: a socket file left by an agent that was
        // killed is removed before the API binds it.
        if (File.Exists(options.Socket))
        {
            File.Delete(options.Socket);
        }

        LogRestore(agent.Restored);
        if (agent.PolicyMapUsage.Capacity != options.PolicyMapEntries)
        {
            logger.LogWarning("the pinned policy map holds {Capacity} entries, not the {Configured} configured; the setting takes effect when " +
                "the datapath is loaded anew (after the node's last endpoint is deleted, or a reboot)", agent.PolicyMapUsage.Capacity, options.PolicyMapEntries);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void LogRestore(RestoreReport restored)
    {
        foreach (var warning in restored.Warnings)
        {
            logger.LogError("{Warning}", warning);
        }

        foreach (var problem in restored.Problems)
        {
            logger.LogError("state file set aside: {Problem}", problem.ToString());
        }

        foreach (var swept in restored.Swept)
        {
            logger.LogWarning("endpoint removed on restore: {Reason}", swept);
        }

        if (restored.Restored.Count > 0 || restored.Policies > 0)
        {
            logger.LogInformation("restored {Endpoints} endpoints and {Policies} policies at revision {Revision}",
                restored.Restored.Count, restored.Policies, restored.Revision);
        }
    }
}
