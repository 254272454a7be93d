using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Membrane.Cluster;

/// <summary>
/// The cluster's state as one node follows it: every key under <see cref="ClusterKeys.Prefix"/>, decoded. It is the
/// sink of a <see cref="PrefixWatcher"/> on that prefix, so it sees every change in etcd's order (an identity is known
/// before the ipcache entry that names it, since its owner wrote it first). A key that does not decode is reported
/// (<see cref="BadData"/>), counted, and skipped; it never stops the others from being applied.
/// <para>
/// Written by the watcher's task only; <see cref="Changed"/> is raised there after each batch, and its handler may read
/// the dictionaries. Other threads read <see cref="Nodes"/> and the revisions, which are published whole.
/// </para>
/// </summary>
public sealed class ClusterState : IWatchSink
{
    /// <summary>The largest value read: a label set, a node record or a policy document; anything larger is bad data.</summary>
    public const int MaxValueBytes = 1 << 20;

    /// <summary>The key whose revision is the cluster's policy revision: every policy change writes it in its transaction.</summary>
    public const string PolicyRevisionKey = ClusterKeys.Prefix + "policy-revision";

    private readonly Dictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (IPNetwork? V4, IPNetwork? V6)> _podCidrs = new(StringComparer.Ordinal);
    private long _badData;

    public Dictionary<uint, string> Identities { get; } = [];

    /// <summary>For each identity, the nodes that reference it.</summary>
    public Dictionary<uint, HashSet<string>> References { get; } = [];

    public Dictionary<IPAddress, IpcacheRecord> Ipcache { get; } = [];

    /// <summary>Policy documents by key (<see cref="ClusterKeys.Policy"/>), as imported.</summary>
    public Dictionary<string, string> Policies { get; } = new(StringComparer.Ordinal);

    /// <summary>The revision of the last policy change (etcd's), 0 before any.</summary>
    public long PolicyRevision { get; private set; }

    /// <summary>The revision applied last.</summary>
    public long Revision { get; private set; }

    /// <summary>Keys that did not decode, since the start.</summary>
    public long BadDataCount => Interlocked.Read(ref _badData);

    /// <summary>Every live node (its lease holds), with its pod CIDRs; published whole after each batch.</summary>
    public IReadOnlyList<(NodeRecord Record, IPNetwork? IPv4, IPNetwork? IPv6)> Nodes { get; private set; } = [];

    /// <summary>Raised after each batch with what it touched (all after a listing).</summary>
    public event Action<ClusterSection>? Changed;

    /// <summary>Raised for each key that does not decode, with why.</summary>
    public event Action<string, string>? BadData;

    public void Reset(IReadOnlyList<Mvccpb.KeyValue> kvs, long revision)
    {
        _nodes.Clear();
        _podCidrs.Clear();
        Identities.Clear();
        References.Clear();
        Ipcache.Clear();
        Policies.Clear();
        PolicyRevision = 0;
        foreach (var kv in kvs)
        {
            Put(kv);
        }

        Revision = revision;
        Publish();
        Changed?.Invoke(ClusterSection.All);
    }

    public void Apply(IReadOnlyList<Mvccpb.Event> events, long revision)
    {
        var touched = ClusterSection.None;
        foreach (var change in events)
        {
            touched |= change.Type == Mvccpb.Event.Types.EventType.Put ? Put(change.Kv) : Delete(change.Kv);
        }

        Revision = revision;
        if ((touched & ClusterSection.Nodes) != 0)
        {
            Publish();
        }

        if (touched != ClusterSection.None)
        {
            Changed?.Invoke(touched);
        }
    }

    private ClusterSection Put(Mvccpb.KeyValue kv)
    {
        var key = kv.Key.ToStringUtf8();
        try
        {
            if (kv.Value.Length > MaxValueBytes)
            {
                throw new InvalidDataException($"{kv.Value.Length} bytes; a value has at most {MaxValueBytes}");
            }

            var value = kv.Value.ToStringUtf8();
            return Decode(key, value, kv.ModRevision, remove: false);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or FormatException or ArgumentException)
        {
            Interlocked.Increment(ref _badData);
            BadData?.Invoke(key, e.Message);
            // A key that no longer decodes no longer counts: what it held before is dropped, as if deleted.
            return Decode(key, "", kv.ModRevision, remove: true, quiet: true);
        }
    }

    private ClusterSection Delete(Mvccpb.KeyValue kv) => Decode(kv.Key.ToStringUtf8(), "", kv.ModRevision, remove: true, quiet: true);

    private ClusterSection Decode(string key, string value, long revision, bool remove, bool quiet = false)
    {
        var rest = key.StartsWith(ClusterKeys.Prefix, StringComparison.Ordinal) ? key[ClusterKeys.Prefix.Length..] : key;
        var parts = rest.Split('/');
        switch (parts)
        {
            case ["identities", "id", var number] when ParseId(number) is { } id:
                if (remove)
                {
                    return Identities.Remove(id) ? ClusterSection.Identities : ClusterSection.None;
                }

                Identities[id] = value.Length is > 0 and <= 8192 ? value : throw new InvalidDataException("an identity's labels are 1 to 8192 characters of canonical text");
                return ClusterSection.Identities;
            case ["identities", "refs", var number, var node] when ParseId(number) is { } id && node.Length > 0:
                if (remove)
                {
                    if (References.TryGetValue(id, out var holders) && holders.Remove(node) && holders.Count == 0)
                    {
                        References.Remove(id);
                    }
                }
                else
                {
                    (References.TryGetValue(id, out var holders) ? holders : References[id] = new(StringComparer.Ordinal)).Add(node);
                }

                return ClusterSection.References;
            case ["identities", "labels", _] or ["identities", "next"] or ["podcidrs", _]:
                return ClusterSection.None; // the allocators' own keys
            case ["nodes", var name] when name.Length > 0:
                if (remove)
                {
                    return _nodes.Remove(name) ? ClusterSection.Nodes : ClusterSection.None;
                }

                var record = JsonSerializer.Deserialize(value, ClusterJsonContext.Default.NodeRecord) ?? throw new InvalidDataException("null is not a node record");
                if (record.Name != name || record.Addresses is null || record.PodCidrs is null ||
                    record.Addresses.Any(a => !IPAddress.TryParse(a, out _)) || record.PodCidrs.Any(c => !IPNetwork.TryParse(c, out _)))
                {
                    throw new InvalidDataException("a node record names its own node, and holds addresses and CIDRs that parse");
                }

                _nodes[name] = record;
                return ClusterSection.Nodes;
            case ["nodes", var name, "podcidr", var family and ("ipv4" or "ipv6")] when name.Length > 0:
                var cidrs = _podCidrs.GetValueOrDefault(name);
                IPNetwork? cidr = null;
                if (!remove)
                {
                    cidr = IPNetwork.TryParse(value, out var parsed) && (parsed.BaseAddress.AddressFamily == AddressFamily.InterNetwork) == (family == "ipv4")
                        ? parsed
                        : throw new InvalidDataException($"\"{Shorten(value)}\" is not an {family} CIDR");
                }

                _podCidrs[name] = family == "ipv4" ? cidrs with { V4 = cidr } : cidrs with { V6 = cidr };
                return ClusterSection.Nodes;
            case ["ipcache", var text] when IPAddress.TryParse(text, out var address) && address.ToString() == text:
                if (remove)
                {
                    return Ipcache.Remove(address) ? ClusterSection.Ipcache : ClusterSection.None;
                }

                var entry = JsonSerializer.Deserialize(value, ClusterJsonContext.Default.IpcacheRecord) ?? throw new InvalidDataException("null is not an ipcache entry");
                if (entry.Node is not { Length: > 0 } || entry.Identity == 0)
                {
                    throw new InvalidDataException("an ipcache entry names an identity and a node");
                }

                Ipcache[address] = entry;
                return ClusterSection.Ipcache;
            case ["policies", _, _, _]:
                if (remove)
                {
                    return Policies.Remove(key) ? ClusterSection.Policies : ClusterSection.None;
                }

                Policies[key] = value;
                return ClusterSection.Policies;
            case ["policy-revision"]:
                PolicyRevision = remove ? PolicyRevision : revision;
                return ClusterSection.Policies;
            default:
                if (!quiet)
                {
                    throw new InvalidDataException("not a key of Membrane's layout (docs/cluster.md)");
                }

                return ClusterSection.None;
        }
    }

    private void Publish() => Nodes = [.. _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal)
        .Select(n => (n, _podCidrs.GetValueOrDefault(n.Name).V4, _podCidrs.GetValueOrDefault(n.Name).V6))];

    /// <summary>A node's pod CIDRs (from their own keys, not the node's record), known whether or not the node is up.</summary>
    public (IPNetwork? IPv4, IPNetwork? IPv6) PodCidrsOf(string node) => _podCidrs.GetValueOrDefault(node);


    private static uint? ParseId(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id.ToString(CultureInfo.InvariantCulture) == text && id > 0 ? id : null;

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
