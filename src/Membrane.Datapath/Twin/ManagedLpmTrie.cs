using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Membrane.Datapath.Twin;

/// <summary>
/// A managed BPF_MAP_TYPE_LPM_TRIE. The key is an unmanaged struct laid out like <c>struct bpf_lpm_trie_key</c>: a
/// u32 prefix length, then the data bytes. As in kernel/bpf/lpm_trie.c, data bytes are compared as they lie in
/// memory, from the first byte and its most significant bit; an update or delete names a node by its prefix length
/// and its first prefix-length bits (the bits after them do not matter); a lookup returns the value of the longest
/// stored prefix, no longer than the lookup key's own, whose bits all equal the key's.
/// </summary>
public sealed class ManagedLpmTrie<TKey, TValue>
    where TKey : unmanaged
{
    private static readonly int DataBytes = Unsafe.SizeOf<TKey>() - sizeof(uint);

    // One table per prefix length, keyed by the data masked to that length, and the lengths in use longest first.
    private readonly Dictionary<int, Dictionary<string, (TKey Key, TValue Value)>> _byPrefix = [];
    private readonly SortedSet<int> _prefixes = new(Comparer<int>.Create((a, b) => b.CompareTo(a)));

    public ManagedLpmTrie()
    {
        if (DataBytes <= 0)
        {
            throw new InvalidOperationException($"{typeof(TKey).Name} has no data after its prefix length");
        }
    }

    /// <summary>The longest prefix a key can have: every data bit.</summary>
    public static int MaxPrefixLength => DataBytes * 8;

    public int Count => _byPrefix.Values.Sum(table => table.Count);

    /// <summary>The stored entries, each with the key it was last written with.</summary>
    public IEnumerable<(TKey Key, TValue Value)> Entries => _byPrefix.Values.SelectMany(table => table.Values);

    public void Update(in TKey key, TValue value)
    {
        var prefix = PrefixOf(key);
        if (!_byPrefix.TryGetValue(prefix, out var table))
        {
            _byPrefix[prefix] = table = [];
            _prefixes.Add(prefix);
        }

        table[Masked(key, prefix)] = (key, value);
    }

    /// <summary>Deletes the node of exactly this prefix; false when there is none (the kernel's -ENOENT).</summary>
    public bool Delete(in TKey key)
    {
        var prefix = PrefixOf(key);
        if (!_byPrefix.TryGetValue(prefix, out var table) || !table.Remove(Masked(key, prefix)))
        {
            return false;
        }

        if (table.Count == 0)
        {
            _byPrefix.Remove(prefix);
            _prefixes.Remove(prefix);
        }

        return true;
    }

    public bool TryLookup(in TKey key, out TValue value)
    {
        var limit = PrefixOf(key);
        foreach (var prefix in _prefixes)
        {
            if (prefix <= limit && _byPrefix[prefix].TryGetValue(Masked(key, prefix), out var entry))
            {
                value = entry.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    public void Clear()
    {
        _byPrefix.Clear();
        _prefixes.Clear();
    }

    private static int PrefixOf(in TKey key)
    {
        var prefix = MemoryMarshal.Read<uint>(MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key)));
        if (prefix > MaxPrefixLength)
        {
            // The kernel rejects such a key with -EINVAL (trie_update_elem, trie_lookup_elem clamps nothing either).
            throw new ArgumentOutOfRangeException(nameof(key), prefix, $"prefix length above {MaxPrefixLength}");
        }

        return (int)prefix;
    }

    /// <summary>The key's data with every bit after <paramref name="prefix"/> cleared, MSB first within each byte.</summary>
    private static string Masked(in TKey key, int prefix)
    {
        Span<byte> data = stackalloc byte[DataBytes];
        MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key))[sizeof(uint)..].CopyTo(data);
        var whole = prefix / 8;
        var bits = prefix % 8;
        if (whole < data.Length)
        {
            data[whole] &= (byte)(0xFF00 >> bits);
            data[(whole + 1)..].Clear();
        }

        return Convert.ToHexString(data[..((prefix + 7) / 8)]);
    }
}
