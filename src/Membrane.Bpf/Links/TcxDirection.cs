namespace Membrane.Bpf.Links;

/// <summary>Which tcx hook of an interface a program runs at.</summary>
public enum TcxDirection
{
    /// <summary>Packets the interface receives (BPF_TCX_INGRESS).</summary>
    Ingress,

    /// <summary>Packets the interface sends (BPF_TCX_EGRESS).</summary>
    Egress,
}
