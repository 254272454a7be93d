namespace Membrane.Datapath.Ebpf.Attachment;

/// <summary>Where a tc-mode attachment puts its cls_bpf filter on the clsact hook: the priority and handle that name
/// it for replace and delete. Two programs on one hook need different placements.</summary>
public sealed record TcPlacement(ushort Priority = 1, uint Handle = 1)
{
    public static readonly TcPlacement Default = new();
}
