namespace Membrane.Netlink.Protocol;

/// <summary>Reads one reply message (its type and the payload after <c>nlmsghdr</c>) into a value; false skips it,
/// as a dump filtered on the caller's side does.</summary>
internal delegate bool ReplyParser<T>(ushort type, ReadOnlySpan<byte> payload, out T value);
