using System.Net;
using Membrane.Datapath.Layout;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Encoding;

/// <summary>
/// Turns the node's identities into ipcache entries: every endpoint address as a host prefix (/32, /128) and every
/// CIDR identity as its prefix, so that a longest-prefix lookup gives what <see cref="IdentitySet.Lookup"/> gives
/// (an address with no entry is world, which the program supplies).
/// </summary>
public static class IpcacheEncoder
{
    /// <summary>
    /// Every entry of the node's identities. Where a CIDR identity's prefix is an endpoint's own address (a /32 or /128
    /// in a policy), the key is the endpoint's: an endpoint's address always resolves to its endpoint identity, as
    /// <see cref="IdentitySet.Lookup"/> says, so that a policy can never make one endpoint pass for a CIDR (or its
    /// label-based rules stop applying to it). That CIDR identity then stands for no address of the node.
    /// </summary>
    public static Dictionary<IpcacheKey, IpcacheValue> Encode(IdentitySet identities)
    {
        var entries = new Dictionary<IpcacheKey, IpcacheValue>();
        foreach (var identity in identities.All.Where(i => i.IsCidr))
        {
            foreach (var (key, value) in EntriesOf(identity))
            {
                entries[key] = value;
            }
        }

        foreach (var identity in identities.All.Where(i => !i.IsCidr))
        {
            foreach (var (key, value) in EntriesOf(identity))
            {
                entries[key] = value;
            }
        }

        return entries;
    }

    /// <summary>The entries one identity contributes: what an <see cref="IdentityChange"/> adds or removes.</summary>
    public static IEnumerable<(IpcacheKey Key, IpcacheValue Value)> EntriesOf(Identity identity)
    {
        var value = new IpcacheValue { Identity = identity.Id };
        foreach (var address in identity.Addresses)
        {
            yield return (IpcacheKey.Host(address), value);
        }

        if (identity.Prefix is { } prefix)
        {
            yield return (KeyOf(prefix), value);
        }
    }

    public static IpcacheKey KeyOf(Cidr prefix)
    {
        var family = prefix.IsIPv4 ? DatapathConstants.FamilyIPv4 : DatapathConstants.FamilyIPv6;
        return IpcacheKey.Of(family, IpAddress16.From(Network(prefix)), prefix.PrefixLength);
    }

    /// <summary>The prefix's network address with the host bits cleared, so the key is the same however it was written.</summary>
    private static IPAddress Network(Cidr prefix)
    {
        var bytes = prefix.Network.GetAddressBytes();
        for (var bit = prefix.PrefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(bytes);
    }
}
