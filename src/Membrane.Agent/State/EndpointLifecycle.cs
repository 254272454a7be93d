namespace Membrane.Agent.State;

/// <summary>
/// Where an endpoint is in its life, as its state file says. The file is written <see cref="Creating"/> before anything
/// is made and <see cref="Deleting"/> before anything is removed, so that an agent killed part way knows on restart
/// what to finish: an endpoint never reported made, or one being deleted, is swept away whole.
/// </summary>
public enum EndpointLifecycle
{
    Creating,
    Ready,
    Deleting,
}
