namespace Membrane.Netlink.Tc;

/// <summary>
/// A cls_bpf filter to add or replace on a clsact hook, always in direct-action mode: the program's return value is
/// the verdict (TC_ACT_OK, TC_ACT_SHOT...). The program is a file descriptor of a loaded SCHED_CLS program; the
/// kernel takes its own reference, so the descriptor may be closed once the filter is in place.
/// </summary>
/// <param name="ProgramFd">The loaded program's descriptor.</param>
/// <param name="Name">TCA_BPF_NAME, shown by <c>tc filter show</c>; conventionally the program's name.</param>
public sealed record BpfFilterSpec(int ProgramFd, string Name)
{
    /// <summary>The filter's priority (its "pref"): lower runs first. 0 would let the kernel pick one, which a later
    /// replace or delete could not name, so it is refused.</summary>
    public ushort Priority { get; init; } = 1;

    /// <summary>The filter's handle within its priority; 0 is refused for the same reason.</summary>
    public uint Handle { get; init; } = 1;
}
