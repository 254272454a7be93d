namespace Membrane.Netlink.Addresses;

/// <summary>How an address is added.</summary>
[Flags]
public enum AddressOptions
{
    None = 0,

    /// <summary>IFA_F_NODAD (uapi/linux/if_addr.h): an IPv6 address is usable at once, without the second or so of
    /// duplicate address detection (RFC 4862 section 5.4) during which it stays tentative and cannot be a source.</summary>
    NoDuplicateAddressDetection = 1,
}
