namespace Membrane.Datapath.Writing;

/// <summary>
/// One endpoint's planned update (<see cref="PolicyBufferWriter.Plan"/>), in its three parts: <see cref="Write"/> into
/// the idle buffer, which packets do not read; the one <see cref="Switch"/> that packets see; and <see cref="Sync"/>,
/// which brings the buffer just left to the same state, again unseen. The growths say how many entries each part adds
/// to the policy map (negative when it frees), which is what a transaction checks against the map's capacity first.
/// </summary>
public sealed record PolicyUpdate(
    PolicyBufferWriter Writer,
    IReadOnlyList<PolicyWriteStep> Write,
    PolicyWriteStep.Switch? Switch,
    IReadOnlyList<PolicyWriteStep> Sync,
    int WriteGrowth,
    int SyncGrowth)
{
    /// <summary>Nothing to do: the map holds the state already.</summary>
    public static PolicyUpdate None(PolicyBufferWriter writer) => new(writer, [], null, [], 0, 0);

    public bool IsEmpty => Switch is null;

    /// <summary>Every step, in the order they must be applied.</summary>
    public IReadOnlyList<PolicyWriteStep> Steps =>
        Switch is null ? [] : [.. Write, Switch, .. Sync];
}
