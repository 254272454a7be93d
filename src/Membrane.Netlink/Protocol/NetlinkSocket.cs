using System.Runtime.InteropServices;
using Membrane.Netlink.Interop;

namespace Membrane.Netlink.Protocol;

/// <summary>
/// The one choke point for netlink I/O: a NETLINK_ROUTE socket bound to a port id the kernel chose. Every request goes
/// through <see cref="Execute"/>, <see cref="Query{T}"/> or <see cref="Dump{T}"/>, which number it, send it, and read
/// replies until the one that ends it: the ACK (an NLMSG_ERROR with error 0) or an error for a request, NLMSG_DONE for
/// a dump. A reply whose sequence number or port id is not the request's is skipped, never taken for its answer: it
/// can only be a late reply to an earlier request that was abandoned (net/netlink/af_netlink.c stamps replies with the
/// requester's port id and echoes nlmsg_seq). The socket belongs to the network namespace it was opened in, whatever
/// thread later uses it. Calls are serialized; one request is in flight at a time.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    /// <summary>Dump replies are at most 32 KiB per datagram (af_netlink.c caps <c>max_recvmsg_len</c> at
    /// <c>SKB_WITH_OVERHEAD(32768)</c>), so 64 KiB holds any datagram; MSG_TRUNC reports one that would not fit.</summary>
    private const int ReceiveBufferSize = 64 * 1024;

    /// <summary>A dump that changed while it was read (NLM_F_DUMP_INTR) is read again, at most this often.</summary>
    private const int MaxDumpAttempts = 10;

    /// <summary>A reply that has not come after this long means a bug, not a slow kernel; fail rather than hang.</summary>
    private const int ReceiveTimeoutSeconds = 10;

    private const int SO_RCVTIMEO = 20; // asm-generic/socket.h, SO_RCVTIMEO_OLD: a struct timeval of two longs

    private readonly FileDescriptorHandle handle;
    private readonly byte[] receiveBuffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
    private readonly Lock gate = new();
    private uint sequence;

    private NetlinkSocket(FileDescriptorHandle handle, uint portId)
    {
        this.handle = handle;
        PortId = portId;
    }

    /// <summary>The port id the kernel assigned at bind; replies to this socket carry it.</summary>
    public uint PortId { get; }

    /// <summary>How many datagrams the last request's replies took; a dump larger than one shows more than one.</summary>
    internal int DatagramsInLastRequest { get; private set; }

    /// <summary>Opens a socket in the calling thread's network namespace.</summary>
    public static NetlinkSocket Open()
    {
        var fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (fd < 0)
        {
            throw new NetlinkException("netlink socket open", Libc.LastErrno);
        }

        var handle = new FileDescriptorHandle(fd);
        try
        {
            // Extended acks (Linux 4.12) carry the kernel's reason as text; capped acks (4.3) quote only the header of
            // a failed request instead of all of it. Both are best effort: an older kernel still answers, with less.
            SetOption(fd, Libc.SOL_NETLINK, Libc.NETLINK_EXT_ACK, 1);
            SetOption(fd, Libc.SOL_NETLINK, Libc.NETLINK_CAP_ACK, 1);
            var timeout = stackalloc long[2] { ReceiveTimeoutSeconds, 0 };
            Libc.SetSockOpt(fd, Libc.SOL_SOCKET, SO_RCVTIMEO, timeout, 2 * sizeof(long));

            var address = new SockaddrNl { Family = Libc.AF_NETLINK };
            if (Libc.Bind(fd, &address, sizeof(SockaddrNl)) != 0)
            {
                throw new NetlinkException("netlink socket bind", Libc.LastErrno);
            }

            var length = sizeof(SockaddrNl);
            if (Libc.GetSockName(fd, &address, &length) != 0)
            {
                throw new NetlinkException("netlink socket getsockname", Libc.LastErrno);
            }

            return new NetlinkSocket(handle, address.Pid);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request that changes something and waits for its ACK; throws the kernel's error.</summary>
    public void Execute(MessageWriter request, string operation)
    {
        lock (gate)
        {
            Transact<int>(request, MessageFlags.Request | MessageFlags.Ack, operation, parse: null, results: null);
        }
    }

    /// <summary>Sends a GET for one object and returns the replies the kernel sent before its ACK.</summary>
    public List<T> Query<T>(MessageWriter request, string operation, ReplyParser<T> parse)
    {
        var results = new List<T>();
        lock (gate)
        {
            Transact(request, MessageFlags.Request | MessageFlags.Ack, operation, parse, results);
        }

        return results;
    }

    /// <summary>Sends a dump request and returns every object of the multi-part reply, read up to NLMSG_DONE. A dump
    /// the kernel flags as interrupted (the table changed meanwhile) is read again from the start.</summary>
    public List<T> Dump<T>(MessageWriter request, string operation, ReplyParser<T> parse)
    {
        var results = new List<T>();
        lock (gate)
        {
            for (var attempt = 1; ; attempt++)
            {
                results.Clear();
                var interrupted = Transact(request, MessageFlags.Request | MessageFlags.Dump, operation, parse, results);
                if (!interrupted)
                {
                    return results;
                }

                if (attempt == MaxDumpAttempts)
                {
                    throw new NetlinkException(
                        $"{operation} (the table changed while it was read, {MaxDumpAttempts} times in a row)", Errno.EINTR);
                }
            }
        }
    }

    /// <summary>Sends a request and abandons it, as a caller whose wait was cut short would, leaving its reply queued
    /// for the next request to skip. Tests use it to check that a stale reply is never taken for another's answer.</summary>
    internal void SendAndAbandon(MessageWriter request)
    {
        lock (gate)
        {
            sequence = sequence == uint.MaxValue ? 1 : sequence + 1;
            Send(request.Seal(sequence, MessageFlags.Request | MessageFlags.Ack), "abandoned request");
        }
    }

    /// <summary>Numbers, sends and answers one request. Returns whether a dump reply was flagged NLM_F_DUMP_INTR.</summary>
    private bool Transact<T>(MessageWriter request, ushort flags, string operation, ReplyParser<T>? parse, List<T>? results)
    {
        var dump = (flags & MessageFlags.Dump) == MessageFlags.Dump;
        sequence = sequence == uint.MaxValue ? 1 : sequence + 1;
        var requestSequence = sequence;
        Send(request.Seal(requestSequence, flags), operation);
        DatagramsInLastRequest = 0;
        var interrupted = false;
        while (true)
        {
            var datagram = receiveBuffer.AsSpan(0, Receive(operation));
            DatagramsInLastRequest++;
            while (datagram.Length >= NetlinkAlignment.MessageHeaderLength)
            {
                var header = MemoryMarshal.Read<NlMsgHdr>(datagram);
                if (header.Length < NetlinkAlignment.MessageHeaderLength || header.Length > datagram.Length)
                {
                    throw new InvalidDataException(
                        $"{operation}: the kernel's reply is malformed (a message claims {header.Length} bytes, {datagram.Length} remain)");
                }

                var payload = datagram[NetlinkAlignment.MessageHeaderLength..(int)header.Length];
                datagram = datagram[Math.Min(NetlinkAlignment.Align((int)header.Length), datagram.Length)..];
                if (header.Sequence != requestSequence || header.PortId != PortId)
                {
                    continue;
                }

                interrupted |= (header.Flags & MessageFlags.DumpInterrupted) != 0;
                switch (header.Type)
                {
                    case MessageType.Error:
                        var (errno, kernelMessage) = ParseError(header.Flags, payload);
                        if (errno != 0)
                        {
                            throw new NetlinkException(operation, errno, kernelMessage);
                        }

                        return interrupted; // the ACK ends a request
                    case MessageType.Done:
                        if (!dump)
                        {
                            continue;
                        }

                        // NLMSG_DONE carries the dump's own result as an int, then extended-ack attributes if any.
                        var status = payload.Length >= 4 ? MemoryMarshal.Read<int>(payload) : 0;
                        if (status < 0)
                        {
                            var message = (header.Flags & MessageFlags.AckTlvs) != 0 ? KernelMessage(payload[4..]) : null;
                            throw new NetlinkException(operation, -status, message);
                        }

                        return interrupted;
                    case MessageType.Noop:
                        continue;
                    case MessageType.Overrun:
                        throw new NetlinkException($"{operation} (the kernel reports a receive overrun)", Errno.ENOBUFS);
                    default:
                        if (parse is not null && parse(header.Type, payload, out var value))
                        {
                            results!.Add(value);
                        }

                        continue;
                }
            }
        }
    }

    /// <summary>
    /// Reads an NLMSG_ERROR payload: <c>struct nlmsgerr</c> (a negated errno, then the request quoted: its header
    /// alone when NLM_F_CAPPED is set, else all of it), then, when NLM_F_ACK_TLVS is set, the extended-ack attributes
    /// (net/netlink/af_netlink.c <c>netlink_ack</c>).
    /// </summary>
    internal static (int Errno, string? KernelMessage) ParseError(ushort flags, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < sizeof(NlMsgErr))
        {
            return (Errno.EINVAL, "the kernel's error reply is truncated");
        }

        var error = MemoryMarshal.Read<NlMsgErr>(payload);
        if ((flags & MessageFlags.AckTlvs) == 0)
        {
            return (-error.Error, null);
        }

        var quoted = (flags & MessageFlags.Capped) != 0
            ? NetlinkAlignment.MessageHeaderLength
            : NetlinkAlignment.Align((int)error.Request.Length);
        var attributesStart = sizeof(int) + quoted;
        return (-error.Error, attributesStart <= payload.Length ? KernelMessage(payload[attributesStart..]) : null);
    }

    private static string? KernelMessage(ReadOnlySpan<byte> attributes)
    {
        var reader = new AttributeReader(attributes);
        while (reader.MoveNext())
        {
            if (reader.Type == Attributes.NLMSGERR_ATTR_MSG)
            {
                return reader.ValueAsString();
            }
        }

        return null;
    }

    private void Send(ReadOnlySpan<byte> message, string operation)
    {
        using var lease = handle.Acquire();
        var kernel = new SockaddrNl { Family = Libc.AF_NETLINK }; // port id 0: the kernel
        fixed (byte* bytes = message)
        {
            while (true)
            {
                var sent = Libc.SendTo(lease.Fd, bytes, (nuint)message.Length, 0, &kernel, sizeof(SockaddrNl));
                if (sent >= 0)
                {
                    return;
                }

                var errno = Libc.LastErrno;
                if (errno != Errno.EINTR)
                {
                    throw new NetlinkException($"{operation} (send)", errno);
                }
            }
        }
    }

    private int Receive(string operation)
    {
        using var lease = handle.Acquire();
        fixed (byte* bytes = receiveBuffer)
        {
            while (true)
            {
                // MSG_TRUNC makes recv return the datagram's real length, so a reply too big for the buffer is an
                // error here rather than a silently shortened dump.
                var received = Libc.Recv(lease.Fd, bytes, (nuint)receiveBuffer.Length, Libc.MSG_TRUNC);
                if (received > receiveBuffer.Length)
                {
                    throw new NetlinkException($"{operation} (a {received}-byte reply exceeds the {receiveBuffer.Length}-byte buffer)", Errno.EMSGSIZE);
                }

                if (received >= 0)
                {
                    return (int)received;
                }

                var errno = Libc.LastErrno;
                if (errno == Errno.EAGAIN)
                {
                    throw new NetlinkException($"{operation} (no reply from the kernel in {ReceiveTimeoutSeconds} s)", errno);
                }

                if (errno != Errno.EINTR)
                {
                    throw new NetlinkException($"{operation} (receive)", errno);
                }
            }
        }
    }

    private static void SetOption(int fd, int level, int name, int value) =>
        Libc.SetSockOpt(fd, level, name, &value, sizeof(int));

    public void Dispose() => handle.Dispose();
}
