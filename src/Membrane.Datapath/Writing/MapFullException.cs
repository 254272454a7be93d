namespace Membrane.Datapath.Writing;

/// <summary>
/// A change that would need more policy map entries than the map holds: refused before anything is written, so that
/// nothing of it is enforced and nothing of it is left behind. The message names the map, its capacity, what is in use
/// and what the change would need.
/// </summary>
public sealed class PolicyMapFullException(string map, long capacity, long inUse, long needed)
    : Exception($"the policy map {map} holds at most {capacity:N0} entries; {inUse:N0} are in use, and this change would need {needed:N0}. " +
        "Nothing was applied. Hint: select fewer endpoints, or name fewer peers and ports; or make the policy map larger")
{
    public string Map { get; } = map;

    public long Capacity { get; } = capacity;

    public long InUse { get; } = inUse;

    public long Needed { get; } = needed;
}
