using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Membrane.Agent.Addressing;

/// <summary>
/// Hands out host addresses of one prefix to endpoints: the lowest free one first, so a restarted agent that
/// re-reserves its endpoints' addresses hands out the same next address as before. The prefix's first host address is
/// the node's gateway and is never given; in IPv4 the network and broadcast addresses are not either. Thread-safe.
/// </summary>
public sealed class AddressPool
{
    private readonly HashSet<UInt128> _used = [];
    private readonly UInt128 _first;
    private readonly UInt128 _last;
    private readonly Lock _lock = new();
    private UInt128 _cursor;

    public AddressPool(IPNetwork prefix)
    {
        var bits = prefix.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (prefix.PrefixLength > bits - 2)
        {
            throw new ArgumentException($"address pool {prefix} is too small: it needs room for a gateway and endpoints (at most /{bits - 2})", nameof(prefix));
        }

        Prefix = prefix;
        var network = ToNumber(prefix.BaseAddress);
        var size = UInt128.One << (bits - prefix.PrefixLength);
        Gateway = ToAddress(network + 1, prefix.BaseAddress.AddressFamily);
        _first = network + 2;
        _last = network + size - (bits == 32 ? 2u : 1u);
        _cursor = _first;
    }

    public IPNetwork Prefix { get; }

    /// <summary>The node's address in this pool, on every host-side veth: the endpoints' next hop.</summary>
    public IPAddress Gateway { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _used.Count;
            }
        }
    }

    public IPAddress Allocate()
    {
        lock (_lock)
        {
            // Next-fit from the lowest address not known to be free; wraps once over the whole pool.
            for (var candidate = _cursor; ; candidate = candidate == _last ? _first : candidate + 1)
            {
                if (_used.Add(candidate))
                {
                    _cursor = candidate == _last ? _first : candidate + 1;
                    return ToAddress(candidate, Prefix.BaseAddress.AddressFamily);
                }

                if ((candidate == _last ? _first : candidate + 1) == _cursor)
                {
                    throw new InvalidOperationException($"address pool {Prefix} is exhausted: {_used.Count} addresses are in use; release some or give the node a larger pool");
                }
            }
        }
    }

    /// <summary>Marks an address taken, as a restart restores an endpoint's; false when it is outside the pool or taken.</summary>
    public bool TryReserve(IPAddress address)
    {
        var number = ToNumber(address);
        lock (_lock)
        {
            return address.AddressFamily == Prefix.BaseAddress.AddressFamily && number >= _first && number <= _last && _used.Add(number);
        }
    }

    public bool Release(IPAddress address)
    {
        var number = ToNumber(address);
        lock (_lock)
        {
            if (!_used.Remove(number))
            {
                return false;
            }

            // Keep handing out the lowest free address.
            if (number < _cursor)
            {
                _cursor = number;
            }

            return true;
        }
    }

    private static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static IPAddress ToAddress(UInt128 number, AddressFamily family)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (family == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)number);
            return new IPAddress(bytes[..4]);
        }

        BinaryPrimitives.WriteUInt128BigEndian(bytes, number);
        return new IPAddress(bytes);
    }
}
