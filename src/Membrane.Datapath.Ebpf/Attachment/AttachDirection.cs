namespace Membrane.Datapath.Ebpf.Attachment;

/// <summary>Which packets of the interface the program sees: those it receives (ingress) or sends (egress). On the
/// host side of an endpoint's veth, ingress carries the endpoint's outgoing traffic and egress its incoming.</summary>
public enum AttachDirection
{
    Ingress,
    Egress,
}
