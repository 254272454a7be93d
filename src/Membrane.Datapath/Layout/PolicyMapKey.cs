using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// The policy LPM trie's key (struct bpf_lpm_trie_key with 12 bytes of data): the policy id (the endpoint and its
/// buffer, see <see cref="EndpointConfig.PolicyId"/>), the peer identity (0 for any), the direction, the IP protocol
/// (0 for any) and the 16-bit L4 value in network order (the destination port, or ICMP <c>type &lt;&lt; 8 | code</c>).
/// The trie compares data bytes from the first, most significant bit first (kernel/bpf/lpm_trie.c), so the value is
/// big-endian to make its high bits a prefix; the fields before it are always matched whole, so their byte order is
/// only required to be the same everywhere (it is the host's).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4, Size = 16)]
public struct PolicyMapKey : IEquatable<PolicyMapKey>
{
    public uint PrefixLength;
    public uint PolicyId;
    public uint Identity;
    public byte Direction;
    public byte Protocol;
    private ushort _valueBigEndian;

    public ushort Value
    {
        readonly get => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(_valueBigEndian) : _valueBigEndian;
        set => _valueBigEndian = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;
    }

    /// <summary>A lookup key: every bit matters, so the trie returns the longest stored prefix that contains it.</summary>
    public static PolicyMapKey Lookup(uint policyId, uint identity, byte direction, byte protocol, ushort value) =>
        new() { PrefixLength = DatapathConstants.PolicyKeyBits, PolicyId = policyId, Identity = identity, Direction = direction, Protocol = protocol, Value = value };

    public readonly bool Equals(PolicyMapKey other) =>
        PrefixLength == other.PrefixLength && PolicyId == other.PolicyId && Identity == other.Identity &&
        Direction == other.Direction && Protocol == other.Protocol && _valueBigEndian == other._valueBigEndian;

    public override readonly bool Equals(object? obj) => obj is PolicyMapKey other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(PrefixLength, PolicyId, Identity, Direction, Protocol, _valueBigEndian);

    public override readonly string ToString() => $"policy {PolicyId} identity {Identity} dir {Direction} proto {Protocol} value {Value}/{PrefixLength}";
}
