namespace Membrane.Datapath.Ebpf.Attachment;

/// <summary>Where a tc-mode attachment puts its cls_bpf filter on the clsact hook: the priority and handle that name
/// it for replace and delete. Two programs on one hook need different placements.</summary>
public sealed record TcPlacement(ushort Priority = 1, uint Handle = 1)
{
    public static readonly TcPlacement Default = new();

    /// <summary>
    /// The fail-closed backstop's filter: a priority far behind the datapath's (a higher number runs later), so that in
    /// tc mode it runs only when the datapath's filter is gone, and its own handle.
    /// </summary>
    public static readonly TcPlacement Backstop = new(Priority: 0xC000, Handle: 0xB5);
}
