namespace Membrane.Bpf.Programs;

/// <summary>Program types, numbered as <c>enum bpf_prog_type</c> in uapi linux/bpf.h.</summary>
public enum ProgramType : uint
{
    /// <summary>Socket filters: the context is <c>__sk_buff</c>; the return value is how many bytes to keep.</summary>
    SocketFilter = 1,

    /// <summary>Traffic-control classifiers, attached with tcx (or tc): the context is <c>__sk_buff</c>; the return
    /// value is a TC_ACT_* verdict.</summary>
    SchedCls = 3,

    /// <summary>Traffic-control actions.</summary>
    SchedAct = 4,

    /// <summary>XDP: the context is <c>xdp_md</c>; the return value is an XDP_* action.</summary>
    Xdp = 6,

    /// <summary>cgroup socket-buffer filters.</summary>
    CgroupSkb = 8,
}
