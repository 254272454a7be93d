namespace Membrane.Datapath.Writing;

/// <summary>
/// A change that would need more entries than a map holds (the policy map or the ipcache): refused before anything is
/// written, so that nothing of it is enforced and nothing of it is left behind. The message names the map, its
/// capacity, what is in use and what the change would need.
/// </summary>
public sealed class MapFullException(string map, long capacity, long inUse, long needed, string? hint = null)
    : Exception($"the map {map} holds at most {capacity:N0} entries; {inUse:N0} are in use, and this change would need {needed:N0}. " +
        $"Nothing was applied. Hint: {hint ?? "select fewer endpoints, or name fewer peers, prefixes and ports; or make the map larger"}")
{
    public string Map { get; } = map;

    public long Capacity { get; } = capacity;

    public long InUse { get; } = inUse;

    public long Needed { get; } = needed;
}
