using Membrane.Netlink.Namespaces;

namespace Membrane.Datapath.Ebpf.Attachment;

/// <summary>An interface by name, in <paramref name="Namespace"/> or, when null, in the calling thread's namespace.
/// The namespace must stay open until the attachment is made; the attachment keeps what it needs to detach.</summary>
public sealed record AttachTarget(string InterfaceName, NetworkNamespace? Namespace = null)
{
    public override string ToString() =>
        Namespace is null ? $"dev {InterfaceName}" : $"dev {InterfaceName} in netns {Namespace.DisplayName}";
}
