namespace Membrane.Datapath.Writing;

/// <summary>
/// The room a policy change has: the map's name and capacity (its max_entries; the kernel refuses an insert beyond
/// it with ENOSPC), and how many entries it holds now.
/// </summary>
public sealed record PolicyMapBudget(string Map, long Capacity, long InUse)
{
    /// <summary>No limit: for twin maps and tests that do not measure room.</summary>
    public static PolicyMapBudget Unlimited { get; } = new("policy map", long.MaxValue, 0);
}
