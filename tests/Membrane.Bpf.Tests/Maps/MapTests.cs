using System.Buffers.Binary;
using Membrane.Bpf.Links;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Tests.Support;

namespace Membrane.Bpf.Tests.Maps;

[Collection(KernelCollection.Name)]
public sealed class MapTests
{
    public static TheoryData<MapType> KeyedTypes => new(MapType.Hash, MapType.LruHash);

    [Theory]
    [MemberData(nameof(KeyedTypes))]
    public void Hash_maps_create_update_lookup_delete_and_iterate(MapType type)
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.For<uint, ulong>("mbr_hash", type, 64));
        for (uint key = 1; key <= 10; key++)
        {
            map.Update(key, key * 100UL);
        }

        Assert.True(map.TryLookup(7u, out ulong value));
        Assert.Equal(700UL, value);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (uint)i), map.Keys<uint>().Order());
        Assert.Equal(5500L, map.Entries<uint, ulong>().Sum(entry => (long)entry.Value));

        Assert.True(map.Delete(7u));
        Assert.False(map.Delete(7u));
        Assert.False(map.TryLookup(7u, out value));
        Assert.Equal(9, map.Keys<uint>().Count());
    }

    [Fact]
    public void Update_flags_are_enforced_and_errors_name_the_map()
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.For<uint, uint>("mbr_flags", MapType.Hash, 2));
        map.Update(1u, 1u, MapUpdateFlags.NoExist);
        var exists = Assert.Throws<MapException>(() => map.Update(1u, 2u, MapUpdateFlags.NoExist));
        Assert.Equal(Errno.EEXIST, exists.Errno);
        Assert.Equal("mbr_flags", exists.MapName);
        Assert.StartsWith("map 'mbr_flags': update: BPF_MAP_UPDATE_ELEM: EEXIST", exists.Message);

        var missing = Assert.Throws<MapException>(() => map.Update(9u, 2u, MapUpdateFlags.Exist));
        Assert.Equal(Errno.ENOENT, missing.Errno);

        map.Update(2u, 2u);
        var full = Assert.Throws<MapException>(() => map.Update(3u, 3u));
        Assert.Equal(Errno.E2BIG, full.Errno);
        Assert.Contains("map is full", full.Message);
    }

    [Fact]
    public void Create_failure_names_the_map_and_the_operation()
    {
        Root.Require();
        var error = Assert.Throws<MapException>(() => BpfMap.Create(new MapSpec("mbr_bad", MapType.Hash, 0, 4, 1)));
        Assert.Equal(Errno.EINVAL, error.Errno);
        Assert.StartsWith("map 'mbr_bad': create: BPF_MAP_CREATE: EINVAL", error.Message);
    }

    [Fact]
    public void Array_holds_every_index_and_cannot_delete()
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.For<uint, ulong>("mbr_array", MapType.Array, 4));
        Assert.True(map.TryLookup(3u, out ulong initial));
        Assert.Equal(0UL, initial);
        map.Update(2u, 42UL);
        Assert.True(map.TryLookup(2u, out ulong value));
        Assert.Equal(42UL, value);
        Assert.Equal([0u, 1u, 2u, 3u], map.Keys<uint>());
        Assert.False(map.TryLookup(4u, out value));
        var error = Assert.Throws<MapException>(() => map.Delete(2u));
        Assert.Equal(Errno.EINVAL, error.Errno);
        Assert.Equal("delete", error.Operation);
    }

    [Theory]
    [InlineData(MapType.PerCpuHash)]
    [InlineData(MapType.PerCpuArray)]
    [InlineData(MapType.LruPerCpuHash)]
    public void Per_cpu_maps_hold_one_value_per_possible_cpu(MapType type)
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.For<uint, uint>("mbr_percpu", type, 8));
        var cpus = BpfMap.PossibleCpuCount;
        Assert.Equal(cpus * 8, map.ValueBufferSize); // 4-byte values each padded to 8 bytes
        var values = Enumerable.Range(0, cpus).Select(cpu => (uint)(cpu + 1) * 10).ToArray();
        map.UpdatePerCpu(5u, values);

        var read = new uint[cpus];
        Assert.True(map.TryLookupPerCpu(5u, read));
        Assert.Equal(values, read);
        Assert.Contains(5u, map.Keys<uint>());
        Assert.Throws<InvalidOperationException>(() => map.TryLookup(5u, out uint _));
        if (type != MapType.PerCpuArray)
        {
            Assert.True(map.Delete(5u));
            Assert.False(map.TryLookupPerCpu(5u, read));
        }
    }

    [Fact]
    public void Lpm_trie_finds_the_longest_matching_prefix()
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.LpmTrie<uint, uint>("mbr_lpm", 16));
        Assert.Equal(MapFlags.NoPrealloc, map.Spec.Flags);
        map.Update(Prefix("10.0.0.0", 8), 1u);
        map.Update(Prefix("10.1.0.0", 16), 2u);
        map.Update(Prefix("10.1.2.0", 24), 3u);
        map.Update(Prefix("0.0.0.0", 0), 9u);

        Assert.Equal(3u, LookupAddress(map, "10.1.2.3"));
        Assert.Equal(2u, LookupAddress(map, "10.1.9.9"));
        Assert.Equal(1u, LookupAddress(map, "10.200.0.1"));
        Assert.Equal(9u, LookupAddress(map, "192.0.2.1"));

        Assert.True(map.Delete(Prefix("0.0.0.0", 0)));
        Assert.Null(LookupAddress(map, "192.0.2.1"));
        Assert.Equal(3, map.Keys<LpmTrieKey<uint>>().Count());
        Assert.Contains(map.Keys<LpmTrieKey<uint>>(), key => key.PrefixLength == 16 && key.Data == Prefix("10.1.0.0", 16).Data);
    }

    [Fact]
    public void Ring_buffer_map_is_created_with_its_size()
    {
        Root.Require();
        using var pins = new TestPins();
        var path = pins.PathOf("ring");
        using var map = BpfMap.Create(MapSpec.RingBuffer("mbr_ring", 4096));
        Assert.Equal(MapType.RingBuffer, map.Spec.Type);
        // A ring buffer has no elements for user space to look up (kernel/bpf/ringbuf.c returns ENOTSUPP).
        var error = Assert.Throws<MapException>(() => map.TryGetNextKey([], []));
        Assert.Equal("next key", error.Operation);

        // The spec read back from the kernel shows the size it really has, not the one that was asked for.
        map.Pin(path);
        try
        {
            using var reopened = BpfMap.OpenPinned(path);
            Assert.Equal(MapType.RingBuffer, reopened.Spec.Type);
            Assert.Equal(4096, reopened.Spec.MaxEntries);
        }
        finally
        {
            map.Unpin();
        }
    }

    [Fact]
    public void Batch_operations_update_read_and_delete_many_elements()
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.For<uint, ulong>("mbr_batch", MapType.Hash, 256));
        var keys = Enumerable.Range(0, 200).Select(i => (uint)i).ToArray();
        var values = keys.Select(k => (ulong)k * 3).ToArray();
        Assert.Equal(200, map.UpdateBatch<uint, ulong>(keys, values));

        var cursor = new MapBatchCursor();
        var seen = new Dictionary<uint, ulong>();
        var keyBuffer = new uint[64];
        var valueBuffer = new ulong[64];
        while (!cursor.IsComplete)
        {
            var count = map.LookupBatch<uint, ulong>(cursor, keyBuffer, valueBuffer);
            for (var i = 0; i < count; i++)
            {
                seen.Add(keyBuffer[i], valueBuffer[i]);
            }
        }

        Assert.Equal(200, seen.Count);
        Assert.All(seen, entry => Assert.Equal(entry.Key * 3UL, entry.Value));

        Assert.Equal(150, map.DeleteBatch<uint>(keys.AsSpan(0, 150)));
        Assert.Equal(50, map.Keys<uint>().Count());
    }

    [Fact]
    public void Batch_lookup_reads_an_lpm_trie()
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.LpmTrie<uint, uint>("mbr_lpm_batch", 8));
        map.Update(Prefix("10.0.0.0", 8), 1u);
        map.Update(Prefix("10.1.0.0", 16), 2u);
        var keys = new LpmTrieKey<uint>[8];
        var values = new uint[8];
        var cursor = new MapBatchCursor();
        var count = map.LookupBatch<LpmTrieKey<uint>, uint>(cursor, keys, values);
        Assert.True(cursor.IsComplete);
        Assert.Equal(2, count);
        Assert.Equal([1u, 2u], values[..2].Order());
    }

    [Fact]
    public void Batch_delete_on_an_array_is_refused_with_the_map_named()
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.For<uint, uint>("mbr_arr_batch", MapType.Array, 4));
        var error = Assert.Throws<MapException>(() => map.DeleteBatch<uint>([0u, 1u]));
        Assert.Equal("mbr_arr_batch", error.MapName);
        Assert.Equal("delete batch", error.Operation);
        Assert.Equal(Errno.ENOTSUPP, error.Errno); // arrays have no map_delete_batch (kernel/bpf/arraymap.c)
        Assert.Contains("does not support the operation", error.Message);
    }

    [Fact]
    public void Pinned_map_outlives_its_handle_and_goes_when_unpinned()
    {
        Root.Require();
        using var pins = new TestPins();
        var path = pins.PathOf("counts");
        using (var map = BpfMap.Create(MapSpec.For<uint, ulong>("mbr_pinned", MapType.Hash, 8)))
        {
            map.Update(1u, 11UL);
            map.Pin(path);
            Assert.Equal(path, map.PinnedPath);
        }

        Assert.True(File.Exists(path));
        using (var reopened = BpfMap.OpenPinned(path))
        {
            Assert.Equal(new MapSpec("mbr_pinned", MapType.Hash, 4, 8, 8), reopened.Spec);
            Assert.True(reopened.TryLookup(1u, out ulong value));
            Assert.Equal(11UL, value);
            reopened.Unpin();
        }

        Assert.False(File.Exists(path));
        var error = Assert.Throws<MapException>(() => BpfMap.OpenPinned(path));
        Assert.Equal(Errno.ENOENT, error.Errno);
    }

    [Fact]
    public void Opening_a_pinned_link_as_a_map_is_refused_with_the_path_and_its_kind()
    {
        Root.Require();
        using var pins = new TestPins();
        using var network = new TestNetwork();
        var path = pins.PathOf("not_a_map");
        using var drop = Support.Programs.LoadDrop();
        using var link = network.AttachInA(drop, TcxDirection.Ingress);
        link.Pin(path);
        try
        {
            var error = Assert.Throws<ArgumentException>(() => BpfMap.OpenPinned(path));
            Assert.Equal("path", error.ParamName);
            Assert.Contains(path, error.Message);
            Assert.Contains("pins a link, not a map", error.Message);
        }
        finally
        {
            link.Unpin();
        }
    }

    [Fact]
    public void Pinning_outside_bpffs_is_refused_with_a_hint()
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.For<uint, uint>("mbr_nopin", MapType.Array, 1));
        var path = Path.Combine("/tmp", TestNames.Unique("pin"));
        var error = Assert.Throws<MapException>(() => map.Pin(path));
        Assert.False(File.Exists(path));
        Assert.Equal(Errno.EPERM, error.Errno);
        Assert.Contains("bpf file system", error.Message);
        Assert.Null(map.PinnedPath);
    }

    private static LpmTrieKey<uint> Prefix(string address, uint length) =>
        new(length, BinaryPrimitives.ReadUInt32LittleEndian(System.Net.IPAddress.Parse(address).GetAddressBytes()));

    private static uint? LookupAddress(BpfMap map, string address) =>
        map.TryLookup(Prefix(address, 32), out uint value) ? value : null;
}
