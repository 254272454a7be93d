using System.Net;

namespace Membrane.Netlink.Addresses;

/// <summary>An address on an interface, as RTM_GETADDR reports it.</summary>
/// <param name="Scope">RT_SCOPE_*: 0 global, 253 link, 254 host.</param>
/// <param name="Flags">IFA_F_* (uapi/linux/if_addr.h), from IFA_FLAGS when the kernel sends it.</param>
public sealed record InterfaceAddress(int Index, IPAddress Address, int PrefixLength, byte Scope, uint Flags)
{
    /// <summary>IFA_F_NODAD.</summary>
    public bool NoDuplicateAddressDetection => (Flags & 0x02) != 0;

    /// <summary>IFA_F_TENTATIVE: IPv6 duplicate address detection has not finished.</summary>
    public bool Tentative => (Flags & 0x40) != 0;

    public override string ToString() => $"{Address}/{PrefixLength} dev {Index}";
}
