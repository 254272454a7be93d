using Membrane.Agent.Node;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Membrane.Agent.Hosting;

/// <summary>Removes expired conntrack and fragment entries every <see cref="AgentHost.GarbageCollectionInterval"/>.</summary>
internal sealed class GarbageCollectionService(NodeAgent agent, ILogger<GarbageCollectionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(AgentHost.GarbageCollectionInterval, stoppingToken);
                try
                {
                    if (agent.CollectGarbage() is > 0 and var removed)
                    {
                        logger.LogInformation("removed {Count} expired conntrack and fragment entries", removed);
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    logger.LogError(e, "conntrack garbage collection failed; it is tried again in {Interval}", AgentHost.GarbageCollectionInterval);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
