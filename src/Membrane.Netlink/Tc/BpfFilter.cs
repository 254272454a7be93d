namespace Membrane.Netlink.Tc;

/// <summary>A cls_bpf filter as RTM_GETTFILTER reports it.</summary>
/// <param name="Protocol">The EtherType it matches in host order; 0x0003 (ETH_P_ALL) matches every packet.</param>
/// <param name="ProgramId">TCA_BPF_ID, the program's kernel id (what <c>bpftool prog show id</c> takes).</param>
/// <param name="DirectAction">TCA_BPF_FLAG_ACT_DIRECT is set.</param>
public sealed record BpfFilter(
    int Index,
    TcDirection Direction,
    ushort Priority,
    uint Handle,
    ushort Protocol,
    string? Name,
    uint ProgramId,
    bool DirectAction);
