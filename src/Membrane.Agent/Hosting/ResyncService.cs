using Membrane.Agent.Node;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Membrane.Agent.Hosting;

/// <summary>
/// Every <see cref="AgentHostOptions.ResyncInterval"/>, compares the kernel's maps with what the agent wrote and puts
/// back what differs (<see cref="NodeAgent.Resync"/>); what it found is logged as a warning, and counted in the metrics.
/// </summary>
internal sealed class ResyncService(NodeAgent agent, AgentHostOptions options, ILogger<ResyncService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(options.ResyncInterval, stoppingToken);
                try
                {
                    if (agent.Resync() is { Total: > 0 } drift)
                    {
                        logger.LogWarning("the kernel's maps differed from what the agent wrote, and were put back: {Drift}", drift);
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    logger.LogError(e, "resync failed; it is tried again in {Interval}", options.ResyncInterval);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
