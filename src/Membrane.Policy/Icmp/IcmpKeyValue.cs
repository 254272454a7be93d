namespace Membrane.Policy.Icmp;

/// <summary>
/// The one encoding of an ICMP message in a policy key's 16-bit L4 value, where a port goes for
/// TCP, UDP and SCTP: <c>type &lt;&lt; 8 | code</c>. A type with every code is then the 8-bit prefix
/// <see cref="TypePrefixLength"/>, a code range is a set of longer prefixes, and type 0 (Echo Reply)
/// is the value 0 with prefix 8, never "any ICMP" (prefix 0), which is how Cilium's type-0 bug
/// happens (cilium#41304). The engine, the map writers and the datapath all use this type.
/// </summary>
public static class IcmpKeyValue
{
    /// <summary>The prefix length of "this type, every code".</summary>
    public const byte TypePrefixLength = 8;

    public static ushort Of(byte type, byte code) => (ushort)((type << 8) | code);

    /// <summary>The value of a type with code 0: the start of its 8-bit prefix.</summary>
    public static ushort OfType(byte type) => (ushort)(type << 8);

    public static byte TypeOf(ushort value) => (byte)(value >> 8);

    public static byte CodeOf(ushort value) => (byte)value;
}
