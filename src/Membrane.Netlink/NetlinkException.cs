using System.Runtime.InteropServices;

namespace Membrane.Netlink;

/// <summary>
/// A netlink request or a namespace call failed. The message names the operation and its object, then the errno, and
/// the kernel's own words when it sent an extended ack (NLMSGERR_ATTR_MSG), which usually say more than the errno:
/// <c>link add mbr-web type veth: EEXIST (File exists)</c>, or
/// <c>address add ::/64 dev ifindex 4: EINVAL: the kernel says "ipv6: Invalid address"</c>.
/// </summary>
public sealed class NetlinkException : Exception
{
    public NetlinkException(string operation, int errno, string? kernelMessage = null)
        : base(Describe(operation, errno, kernelMessage))
    {
        Operation = operation;
        Errno = errno;
        KernelMessage = kernelMessage;
    }

    /// <summary>What was attempted, on what: <c>link add mbr-web type veth</c>.</summary>
    public string Operation { get; }

    /// <summary>The errno the kernel returned (positive).</summary>
    public int Errno { get; }

    /// <summary>The extended-ack text, or null when the kernel sent none.</summary>
    public string? KernelMessage { get; }

    private static string Describe(string operation, int errno, string? kernelMessage) => kernelMessage is { Length: > 0 }
        ? $"{operation}: {Netlink.Errno.Name(errno)}: the kernel says \"{kernelMessage}\""
        : $"{operation}: {Netlink.Errno.Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})";
}
