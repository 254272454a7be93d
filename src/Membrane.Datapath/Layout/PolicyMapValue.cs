using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// A policy entry as the program reads it: allow or deny, the cookie that names the rules behind it (events carry it,
/// user space maps it back to rules), and the entry's own prefix, because an LPM lookup returns the value and not the
/// key it matched, and events report the entry that decided.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4, Size = 8)]
public record struct PolicyMapValue
{
    public const byte FlagDeny = 1;

    /// <summary>The <see cref="PrefixLengthOfValue"/> of an any-protocol entry.</summary>
    public const byte AnyProtocol = 0xFF;

    public uint Cookie;
    public byte Flags;

    /// <summary>The prefix length of the L4 value (0-16), or <see cref="AnyProtocol"/>.</summary>
    public byte PrefixLengthOfValue;

    public ushort Reserved;

    public readonly bool IsDeny => (Flags & FlagDeny) != 0;
}
