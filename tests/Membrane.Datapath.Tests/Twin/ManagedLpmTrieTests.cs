using System.Net;
using CsCheck;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Twin;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Tests.Twin;

public sealed class ManagedLpmTrieTests
{
    private static PolicyMapKey Entry(int prefix, byte protocol = 0, ushort value = 0) =>
        new() { PrefixLength = (uint)prefix, PolicyId = 2, Identity = 7, Direction = 0, Protocol = protocol, Value = value };

    [Fact]
    public void The_longest_stored_prefix_containing_the_key_wins()
    {
        var trie = new ManagedLpmTrie<PolicyMapKey, int>();
        trie.Update(Entry(72), 72);
        trie.Update(Entry(80, IpProtocols.Tcp), 80);
        trie.Update(Entry(80 + 8, IpProtocols.Tcp, 0x1F00), 88); // ports 7936-8191
        trie.Update(Entry(96, IpProtocols.Tcp, 8080), 96);

        int Find(byte protocol, ushort port) =>
            trie.TryLookup(PolicyMapKey.Lookup(2, 7, 0, protocol, port), out var found) ? found : -1;

        Assert.Equal(96, Find(IpProtocols.Tcp, 8080));
        Assert.Equal(88, Find(IpProtocols.Tcp, 8081));
        Assert.Equal(80, Find(IpProtocols.Tcp, 80));
        Assert.Equal(72, Find(IpProtocols.Udp, 8080));
        Assert.Equal(-1, trie.TryLookup(PolicyMapKey.Lookup(2, 8, 0, IpProtocols.Tcp, 80), out _) ? 0 : -1);
    }

    [Fact]
    public void The_value_is_big_endian_so_its_high_bits_are_the_prefix()
    {
        var trie = new ManagedLpmTrie<PolicyMapKey, string>();
        // ICMP type 0 (EchoReply) with every code: value 0x0000, 8 value bits. Type 0 is never "any type".
        trie.Update(Entry(80 + 8, IpProtocols.Icmp, 0x0000), "echo reply");
        Assert.True(trie.TryLookup(PolicyMapKey.Lookup(2, 7, 0, IpProtocols.Icmp, 0x0005), out var found));
        Assert.Equal("echo reply", found);
        Assert.False(trie.TryLookup(PolicyMapKey.Lookup(2, 7, 0, IpProtocols.Icmp, 0x0800), out _));
    }

    [Fact]
    public void Bits_after_the_prefix_do_not_name_another_node_and_delete_is_exact()
    {
        var trie = new ManagedLpmTrie<PolicyMapKey, int>();
        trie.Update(Entry(80, IpProtocols.Tcp, 1), 1);
        trie.Update(Entry(80, IpProtocols.Tcp, 2), 2);
        Assert.Equal(1, trie.Count);
        Assert.False(trie.Delete(Entry(88, IpProtocols.Tcp)));
        Assert.True(trie.Delete(Entry(80, IpProtocols.Tcp, 3)));
        Assert.Equal(0, trie.Count);
    }

    [Fact]
    public void A_lookup_key_shorter_than_a_stored_prefix_does_not_match_it()
    {
        var trie = new ManagedLpmTrie<PolicyMapKey, int>();
        trie.Update(Entry(96, IpProtocols.Tcp, 80), 96);
        var shortKey = Entry(80, IpProtocols.Tcp, 80);
        Assert.False(trie.TryLookup(shortKey, out _));
    }

    [Fact]
    public void A_prefix_beyond_the_data_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ManagedLpmTrie<PolicyMapKey, int>().Update(Entry(97), 0));

    [Fact]
    public void Ipcache_prefixes_of_both_families()
    {
        var maps = new TwinMaps();
        maps.SetIpcache(IPNetwork.Parse("10.0.0.0/8"), 100);
        maps.SetIpcache(IPNetwork.Parse("10.1.0.0/16"), 200);
        maps.SetIpcache(IPNetwork.Parse("10.1.2.3/32"), 300);
        maps.SetIpcache(IPNetwork.Parse("::/0"), 400);

        uint Find(string address)
        {
            var ip = IPAddress.Parse(address);
            var key = new IpcacheKey { PrefixLength = DatapathConstants.IpcacheKeyBits, Family = IpAddress16.FamilyOf(ip), Address = IpAddress16.From(ip) };
            return maps.Ipcache.TryLookup(key, out var value) ? value.Identity : 0;
        }

        Assert.Equal(300u, Find("10.1.2.3"));
        Assert.Equal(200u, Find("10.1.2.4"));
        Assert.Equal(100u, Find("10.2.0.1"));
        Assert.Equal(0u, Find("11.0.0.1"));
        // ::/0 is the family word alone: every IPv6 address and no IPv4 one.
        Assert.Equal(400u, Find("2001:db8::1"));
    }

    /// <summary>Against the definition: the longest stored prefix whose bits, MSB first, all equal the key's.</summary>
    [Fact]
    public void Agrees_with_a_scan_of_every_entry() =>
        Gen.Select(Gen.Select(Gen.Int[64, 96], Gen.Byte[0, 3], Gen.UShort).Array[0, 30], Gen.Select(Gen.Byte[0, 3], Gen.UShort).Array[20])
            .Sample((entries, lookups) =>
            {
                var trie = new ManagedLpmTrie<PolicyMapKey, int>();
                var stored = new List<(int Prefix, ulong Bits, int Value)>();
                for (var i = 0; i < entries.Length; i++)
                {
                    var (prefix, protocol, value) = entries[i];
                    var key = Entry(prefix, protocol, value);
                    trie.Update(key, i);
                    stored.RemoveAll(s => s.Prefix == prefix && Masked(Bits(key), prefix) == Masked(s.Bits, prefix));
                    stored.Add((prefix, Bits(key), i));
                }

                foreach (var (protocol, value) in lookups)
                {
                    var key = PolicyMapKey.Lookup(2, 7, 0, protocol, value);
                    var expected = stored.Where(s => Masked(s.Bits, s.Prefix) == Masked(Bits(key), s.Prefix))
                        .OrderByDescending(s => s.Prefix).Select(s => (int?)s.Value).FirstOrDefault();
                    int? actual = trie.TryLookup(key, out var found) ? found : null;
                    Assert.Equal(expected, actual);
                }
            }, iter: 2_000);

    // The last 32 of the 96 data bits: direction, protocol, value (big-endian), as bytes lie, MSB first.
    private static ulong Bits(PolicyMapKey key) =>
        ((ulong)key.Direction << 24) | ((ulong)key.Protocol << 16) | key.Value;

    private static ulong Masked(ulong low32, int prefix) => prefix <= 64 ? 0 : low32 >> (96 - prefix);
}
