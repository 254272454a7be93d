namespace Membrane.Bpf.Maps;

/// <summary>
/// Where a batch lookup left off. The kernel hands back an opaque token (<c>out_batch</c>) to pass as
/// <c>in_batch</c> on the next call; a fresh cursor starts at the beginning of the map.
/// </summary>
public sealed class MapBatchCursor
{
    internal byte[]? Token { get; set; }

    /// <summary>Whether the kernel said there is nothing more (ENOENT).</summary>
    public bool IsComplete { get; internal set; }
}
