using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Membrane.Bpf.Maps;

namespace Membrane.Bpf.Benchmarks;

/// <summary>Map operations from user space: each is one bpf() syscall. Operations per second = 1e9 / mean ns.</summary>
[MemoryDiagnoser]
public class MapBenchmarks
{
    private const int Entries = 1024;
    private BpfMap hash = null!;
    private BpfMap lpm = null!;
    private uint key;
    private LpmTrieKey<uint> address;

    [GlobalSetup]
    public void Setup()
    {
        hash = BpfMap.Create(MapSpec.For<uint, ulong>("bench_hash", MapType.Hash, Entries));
        for (uint i = 0; i < Entries; i++)
        {
            hash.Update(i, (ulong)i);
        }

        // 256 /24 prefixes under 10.0.0.0/8, plus the /8 and a default route: a lookup walks a few trie levels.
        lpm = BpfMap.Create(MapSpec.LpmTrie<uint, uint>("bench_lpm", Entries));
        lpm.Update(Prefix(10, 0, 0, 8), 1u);
        lpm.Update(Prefix(0, 0, 0, 0), 0u);
        for (byte i = 0; i < 255; i++)
        {
            lpm.Update(Prefix(10, i, 0, 24), (uint)i);
        }

        key = 512;
        address = Prefix(10, 77, 9, 32);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        hash.Dispose();
        lpm.Dispose();
    }

    [Benchmark]
    public ulong HashLookup() => hash.TryLookup(key, out ulong value) ? value : 0;

    [Benchmark]
    public void HashUpdate() => hash.Update(key, 7UL);

    [Benchmark]
    public uint LpmLookup() => lpm.TryLookup(address, out uint value) ? value : 0;

    [Benchmark]
    public void LpmUpdate() => lpm.Update(Prefix(10, 77, 0, 24), 5u);

    private static LpmTrieKey<uint> Prefix(byte a, byte b, byte c, uint length) =>
        new(length, BinaryPrimitives.ReadUInt32LittleEndian([a, b, c, 0]));
}
