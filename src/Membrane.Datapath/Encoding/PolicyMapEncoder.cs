using Membrane.Datapath.Layout;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Encoding;

/// <summary>
/// Turns an endpoint's map state into policy map entries. An engine key's prefix is over the 16-bit value only; the
/// datapath's key is longer, so the prefix grows by what comes before the value: 72 bits (policy id, identity,
/// direction) for "any protocol", and 80 plus the value's prefix for one protocol.
/// </summary>
public static class PolicyMapEncoder
{
    public static PolicyMapKey EncodeKey(PolicyKey key, uint policyId) => new()
    {
        PrefixLength = key.Protocol == IpProtocols.Any
            ? (uint)DatapathConstants.PolicyAnyProtocolPrefix
            : (uint)(DatapathConstants.PolicyProtocolPrefix + key.PrefixLength),
        PolicyId = policyId,
        Identity = key.Identity,
        Direction = (byte)key.Direction,
        Protocol = key.Protocol,

        // The trie reads bits beyond the prefix as "don't care", but the kernel keys entries by their whole data, so
        // the bits past the prefix are cleared: one entry per prefix, whatever the engine left there.
        Value = key.Protocol == IpProtocols.Any ? (ushort)0 : Masked(key.Value, key.PrefixLength),
    };

    public static PolicyMapValue EncodeValue(PolicyKey key, PolicyEntry entry, PolicyCookieTable cookies) => new()
    {
        Cookie = cookies.CookieOf(entry.Origins),
        Flags = entry.Verdict == Verdict.Deny ? PolicyMapValue.FlagDeny : (byte)0,
        PrefixLengthOfValue = key.Protocol == IpProtocols.Any ? PolicyMapValue.AnyProtocol : key.PrefixLength,
    };

    /// <summary>Every entry of <paramref name="state"/>, in the buffer <paramref name="policyId"/> names.</summary>
    public static Dictionary<PolicyMapKey, PolicyMapValue> Encode(EndpointMapState state, uint policyId, PolicyCookieTable cookies)
    {
        var entries = new Dictionary<PolicyMapKey, PolicyMapValue>(state.Entries.Count);
        foreach (var (key, entry) in state.Entries)
        {
            entries[EncodeKey(key, policyId)] = EncodeValue(key, entry, cookies);
        }

        return entries;
    }

    /// <summary>The endpoint configuration's default-deny bits for a state.</summary>
    public static uint DefaultDenyFlags(EndpointMapState state) =>
        (state.IngressDefaultDeny.IsEmpty ? 0 : EndpointConfig.FlagIngressDefaultDeny) |
        (state.EgressDefaultDeny.IsEmpty ? 0 : EndpointConfig.FlagEgressDefaultDeny);

    private static ushort Masked(ushort value, int prefixLength) =>
        prefixLength == 0 ? (ushort)0 : (ushort)(value & (0xFFFF << (16 - prefixLength)));
}
