using System.Net;
using System.Net.Sockets;
using Membrane.Policy.Engine.Labels;
using System.Collections.Immutable;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Identities;

/// <summary>
/// The identities a node knows: reserved ones, endpoints, and CIDR identities for the prefixes
/// policies name. It allocates numbers, finds an identity by labels, and maps an address to an
/// identity by longest prefix (endpoint addresses are host prefixes).
/// </summary>
public sealed class IdentitySet
{
    private readonly Dictionary<uint, Identity> _byId = [];
    private readonly Dictionary<LabelSet, Identity> _byLabels = [];
    private uint _nextEndpoint = Identity.FirstEndpoint;
    private uint _nextCidr = Identity.FirstCidr;

    public IdentitySet()
    {
        foreach (var reserved in ReservedIdentities.All)
        {
            Put(reserved);
        }
    }

    public IEnumerable<Identity> All => _byId.Values;

    public int Count => _byId.Count;

    public Identity? this[uint id] => _byId.GetValueOrDefault(id);

    public Identity? Find(LabelSet labels) => _byLabels.GetValueOrDefault(labels);

    /// <summary>Adds an endpoint identity, or returns the one with the same labels.</summary>
    public Identity AddEndpoint(LabelSet labels, uint? id = null, IEnumerable<IPAddress>? addresses = null, IReadOnlyDictionary<string, NamedPort>? namedPorts = null)
    {
        if (_byLabels.TryGetValue(labels, out var existing))
        {
            return existing;
        }

        var number = id ?? NextFree(ref _nextEndpoint);
        if (number < Identity.FirstEndpoint || number >= Identity.FirstCidr)
        {
            throw new ArgumentOutOfRangeException(nameof(id), $"endpoint identities are numbered {Identity.FirstEndpoint} to {Identity.FirstCidr - 1}");
        }

        if (_byId.ContainsKey(number))
        {
            throw new ArgumentException($"identity {number} is already taken by {_byId[number].Labels}", nameof(id));
        }

        var identity = new Identity(number, WithNamespaceName(labels))
        {
            Addresses = [.. addresses ?? []],
            NamedPorts = namedPorts?.ToImmutableDictionary() ?? System.Collections.Immutable.ImmutableDictionary<string, NamedPort>.Empty,
        };
        Put(identity, labels);
        return identity;
    }

    /// <summary>Adds the CIDR identity for a prefix, or returns the existing one.</summary>
    public Identity AddCidr(Cidr prefix)
    {
        var labels = new LabelSet([new Label(Label.SourceCidr, prefix.ToString(), "")]);
        if (_byLabels.TryGetValue(labels, out var existing))
        {
            return existing;
        }

        var identity = new Identity(NextFree(ref _nextCidr), labels) { Prefix = prefix };
        Put(identity);
        return identity;
    }

    public bool Remove(uint id)
    {
        if (!_byId.Remove(id, out var identity) || identity.IsReserved)
        {
            return false;
        }

        foreach (var (labels, value) in _byLabels.Where(kv => kv.Value.Id == id).ToList())
        {
            _byLabels.Remove(labels);
        }

        return true;
    }

    /// <summary>
    /// The identity of an address: the endpoint that owns it, else the CIDR identity of the
    /// longest prefix that contains it, else world-ipv4 or world-ipv6.
    /// </summary>
    public Identity Lookup(IPAddress address)
    {
        Identity? best = null;
        var bestLength = -1;
        foreach (var identity in _byId.Values)
        {
            if (identity.IsEndpoint && identity.Addresses.Contains(address))
            {
                return identity;
            }

            if (identity.Prefix is { } prefix && prefix.PrefixLength > bestLength && prefix.Contains(address))
            {
                best = identity;
                bestLength = prefix.PrefixLength;
            }
        }

        return best ?? (address.AddressFamily == AddressFamily.InterNetworkV6 ? ReservedIdentities.WorldIPv6 : ReservedIdentities.WorldIPv4);
    }

    private uint NextFree(ref uint next)
    {
        while (_byId.ContainsKey(next))
        {
            next++;
        }

        return next++;
    }

    private void Put(Identity identity, LabelSet? key = null)
    {
        _byId[identity.Id] = identity;
        _byLabels[key ?? identity.Labels] = identity;
    }

    /// <summary>
    /// Kubernetes gives every namespace the label kubernetes.io/metadata.name; add it to a pod's
    /// namespace labels so that namespaceSelectors naming it work without listing it.
    /// </summary>
    private static LabelSet WithNamespaceName(LabelSet labels)
    {
        if (labels.Namespace is not { } ns || labels.TryGetValue(Label.SourceAny, Label.NamespaceLabelsPrefix + "kubernetes.io/metadata.name", out _))
        {
            return labels;
        }

        return new LabelSet(labels.Labels.Append(new Label(Label.SourceKubernetes, Label.NamespaceLabelsPrefix + "kubernetes.io/metadata.name", ns)));
    }
}
