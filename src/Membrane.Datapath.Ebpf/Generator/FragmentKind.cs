namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>Whether the packet is a fragment, and which (RFC 791; RFC 8200 §4.5: an atomic fragment is not one).</summary>
internal enum FragmentKind : byte
{
    None = 0,

    /// <summary>Offset 0 with more fragments to come: parsed like any packet, and leaves its verdict for the rest.</summary>
    First = 1,

    /// <summary>A non-zero offset: no L4 header, takes the first fragment's verdict.</summary>
    Later = 2,

    /// <summary>
    /// A fragment header with offset 0 and M clear (RFC 6946): a whole datagram, handled as one that has no fragment
    /// header, except that neighbour discovery carried in it is not neighbour discovery (RFC 6980 §5: any fragment
    /// header).
    /// </summary>
    Atomic = 3,
}
