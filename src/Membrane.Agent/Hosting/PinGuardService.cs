using Membrane.Agent.Node;
using Membrane.Datapath.Ebpf.Loading;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Membrane.Agent.Hosting;

/// <summary>
/// Checks the pins every <see cref="AgentHostOptions.PinCheckInterval"/> and pins again what was removed from outside:
/// a tcx link without a pin detaches when the agent's descriptor closes, at its next stop or crash, which is how
/// removed pins would make enforcement fail open. Each repair is logged, and the status says what was found. It checks
/// once more when the host stops, before the agent lets go of the links, so that a stop detaches nothing.
/// </summary>
internal sealed class PinGuardService(NodeAgent agent, PinWatch pins, AgentHostOptions options, ILogger<PinGuardService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Check("while running");
                await Task.Delay(options.PinCheckInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Check("at stop");
    }

    private void Check(string when)
    {
        IReadOnlyList<PinRepair> check;
        try
        {
            check = agent.RepairPins();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            check = [new PinRepair("(pin check)", e.Message)];
        }

        pins.Record(check);
        foreach (var repair in check)
        {
            if (repair.Repinned)
            {
                logger.LogWarning("pin removed from outside, pinned again {When}: {Path}", when, repair.Path);
            }
            else
            {
                logger.LogError("pin missing and cannot be made {When}: {Problem}; if the agent stops, that endpoint fails closed (all its traffic is dropped) until it starts again",
                    when, repair.ToString());
            }
        }
    }
}
