using System.Security.Cryptography;
using System.Text;

namespace Membrane.Agent.Endpoints;

/// <summary>
/// The name of an endpoint's host-side veth: "mbr" and ten hex digits of a hash of the node and endpoint names, so it
/// fits IFNAMSIZ (15 characters and the NUL, include/uapi/linux/if.h) whatever the endpoint is called, stays the same
/// across restarts, and differs between nodes that share a kernel (the tests run several).
/// </summary>
public static class HostInterfaceName
{
    public const string Prefix = "mbr";

    public static string For(string node, string endpoint)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{node}\0{endpoint}"));
        return Prefix + Convert.ToHexStringLower(hash)[..10];
    }
}
