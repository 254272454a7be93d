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

    // The label set each identity was added under (before the namespace-name label is added), so
    // that removing an identity does not scan every label set.
    private readonly Dictionary<uint, LabelSet> _keyById = [];

    // The IP cache: endpoint addresses by address, and the CIDR identities, so that a lookup does
    // not scan every endpoint.
    private readonly Dictionary<IPAddress, Identity> _byAddress = [];
    private readonly List<Identity> _cidrs = [];
    private const string NamespaceNameKey = Label.NamespaceLabelsPrefix + "kubernetes.io/metadata.name";

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

    /// <summary>
    /// Every identity added or removed after the set was made, published to whoever keeps state
    /// derived from the set (each endpoint's resolver), in the order the changes happen.
    /// </summary>
    public event Action<IdentityChange>? Changed;

    public int Count => _byId.Count;

    public Identity? this[uint id] => _byId.GetValueOrDefault(id);

    public Identity? Find(LabelSet labels) => _byLabels.GetValueOrDefault(labels);

    /// <summary>The endpoint identity that owns this address, if one does.</summary>
    public Identity? FindByAddress(IPAddress address) => _byAddress.GetValueOrDefault(address);

    /// <summary>
    /// Adds an endpoint identity, or returns the one with the same labels. A number outside the
    /// endpoint range, a number or an address already taken, and an empty label set are refused
    /// with an <see cref="ArgumentException"/> whose message is fit to show a user; readers of
    /// user input (<see cref="IdentityFile"/>) check all of these first, to report them with positions.
    /// </summary>
    public Identity AddEndpoint(LabelSet labels, uint? id = null, IEnumerable<IPAddress>? addresses = null, IReadOnlyDictionary<string, NamedPort>? namedPorts = null)
    {
        if (_byLabels.TryGetValue(labels, out var existing))
        {
            return existing;
        }

        if (labels.Labels.IsEmpty)
        {
            // An empty set is matched by every {} selector and by nothing else: never what was meant.
            throw new ArgumentException("an endpoint identity needs at least one label");
        }

        if (id is { } wanted && !IsEndpointNumber(wanted))
        {
            throw new ArgumentException(EndpointRange(wanted));
        }

        if (id is { } taken && _byId.TryGetValue(taken, out var holder))
        {
            throw new ArgumentException($"identity {taken} is already taken by {holder.Labels}");
        }

        var owned = ImmutableArray.CreateBuilder<IPAddress>();
        foreach (var address in addresses ?? [])
        {
            if (!owned.Contains(address))
            {
                owned.Add(address);
            }
        }

        foreach (var address in owned)
        {
            if (_byAddress.TryGetValue(address, out var owner))
            {
                throw new ArgumentException($"the address {address} already belongs to identity {owner.Id} ({owner.Labels})");
            }
        }

        var number = id ?? NextFree(ref _nextEndpoint);
        if (!IsEndpointNumber(number))
        {
            throw new ArgumentException($"no endpoint identity number is free ({Identity.FirstEndpoint} to {Identity.FirstCidr - 1})");
        }

        var identity = new Identity(number, WithNamespaceName(labels))
        {
            Addresses = owned.DrainToImmutable(),
            NamedPorts = namedPorts is null or { Count: 0 } ? ImmutableDictionary<string, NamedPort>.Empty : namedPorts.ToImmutableDictionary(),
        };
        Put(identity, labels);
        Changed?.Invoke(IdentityChange.Add(identity));
        return identity;
    }

    /// <summary>
    /// Gives an endpoint identity more addresses: endpoints with the same labels share one identity (as pods of one
    /// deployment do in Cilium), each with its own addresses. An address that belongs to another identity is refused
    /// with an <see cref="ArgumentException"/>. The change is published: a Kubernetes <c>ipBlock</c> selects endpoints
    /// by address.
    /// </summary>
    public Identity AddAddresses(uint id, IEnumerable<IPAddress> addresses)
    {
        var identity = _byId.TryGetValue(id, out var found) && found.IsEndpoint
            ? found
            : throw new ArgumentException($"{id} is not an endpoint identity of this node");
        var added = addresses.Where(a => !identity.Addresses.Contains(a)).Distinct().ToList();
        foreach (var address in added)
        {
            if (_byAddress.TryGetValue(address, out var owner))
            {
                throw new ArgumentException($"the address {address} already belongs to identity {owner.Id} ({owner.Labels})");
            }
        }

        return added.Count == 0 ? identity : Readdress(identity, identity with { Addresses = [.. identity.Addresses, .. added] });
    }

    /// <summary>Takes addresses away from an endpoint identity, as when one of the endpoints sharing it is deleted.</summary>
    public Identity RemoveAddresses(uint id, IEnumerable<IPAddress> addresses)
    {
        var identity = _byId.TryGetValue(id, out var found) && found.IsEndpoint
            ? found
            : throw new ArgumentException($"{id} is not an endpoint identity of this node");
        var removed = addresses.ToHashSet();
        foreach (var address in removed.Where(a => _byAddress.TryGetValue(a, out var owner) && owner.Id == id))
        {
            _byAddress.Remove(address);
        }

        return identity.Addresses.Any(removed.Contains)
            ? Readdress(identity, identity with { Addresses = [.. identity.Addresses.Where(a => !removed.Contains(a))] })
            : identity;
    }

    private Identity Readdress(Identity old, Identity updated)
    {
        Replace(old, updated);
        Changed?.Invoke(IdentityChange.Readdress(old, updated));
        return updated;
    }

    private Identity Replace(Identity old, Identity updated)
    {
        _byId[old.Id] = updated;
        _byLabels[_keyById[old.Id]] = updated;
        foreach (var address in updated.Addresses)
        {
            _byAddress[address] = updated;
        }

        return updated;
    }

    /// <summary>Whether a number is in the endpoint range (not reserved, not a CIDR identity).</summary>
    public static bool IsEndpointNumber(uint id) => id is >= Identity.FirstEndpoint and < Identity.FirstCidr;

    /// <summary>Why a number is not an endpoint identity, in the user's terms.</summary>
    public static string EndpointRange(uint id) =>
        $"endpoint identities are numbered {Identity.FirstEndpoint} to {Identity.FirstCidr - 1}; "
        + (id < Identity.FirstEndpoint ? "1 to 255 are reserved identities, and 0 means any peer" : "16777216 and above are the node's CIDR identities");

    /// <summary>
    /// Adds the CIDR identity for a prefix, or returns the existing one. <paramref name="id"/> asks for a number (an
    /// agent restoring after a restart gives each prefix the number its maps already hold); a number outside the CIDR
    /// range, or taken, is refused with an <see cref="ArgumentException"/>.
    /// </summary>
    public Identity AddCidr(Cidr prefix, uint? id = null)
    {
        var labels = new LabelSet([new Label(Label.SourceCidr, prefix.ToString(), "")]);
        if (_byLabels.TryGetValue(labels, out var existing))
        {
            return existing;
        }

        if (id is { } wanted && (wanted < Identity.FirstCidr || _byId.ContainsKey(wanted)))
        {
            throw new ArgumentException(wanted < Identity.FirstCidr
                ? $"CIDR identities are numbered from {Identity.FirstCidr}; {wanted} is not one"
                : $"identity {wanted} is already taken by {_byId[wanted].Labels}");
        }

        var identity = new Identity(id ?? NextFree(ref _nextCidr), labels) { Prefix = prefix };
        Put(identity);
        Changed?.Invoke(IdentityChange.Add(identity));
        return identity;
    }

    /// <summary>Removes an endpoint or CIDR identity; reserved identities stay.</summary>
    public bool Remove(uint id)
    {
        if (!_byId.TryGetValue(id, out var identity) || identity.IsReserved)
        {
            return false;
        }

        _byId.Remove(id);
        if (_keyById.Remove(id, out var key))
        {
            _byLabels.Remove(key);
        }

        foreach (var address in identity.Addresses)
        {
            _byAddress.Remove(address);
        }

        if (identity.IsCidr)
        {
            _cidrs.Remove(identity);
        }

        Changed?.Invoke(IdentityChange.Remove(identity));
        return true;
    }

    /// <summary>
    /// The identity of an address: the endpoint that owns it, else the CIDR identity of the
    /// longest prefix that contains it, else world-ipv4 or world-ipv6.
    /// </summary>
    public Identity Lookup(IPAddress address)
    {
        if (_byAddress.TryGetValue(address, out var endpoint))
        {
            return endpoint;
        }

        // CIDR identities are one per prefix the policies name: a scan of those, not of endpoints.
        Identity? best = null;
        var bestLength = -1;
        foreach (var identity in _cidrs)
        {
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
        while (_byId.ContainsKey(next) || _withheld.Contains(next))
        {
            next++;
        }

        return next++;
    }

    // Numbers never to be handed out, though no identity here has them (see Withhold).
    private readonly HashSet<uint> _withheld = [];

    /// <summary>
    /// Keeps a number from being handed out to a new identity, though no identity of the set has it: an agent that
    /// restarts finds numbers in its maps that belong to what it cannot take back (an endpoint whose state did not
    /// read stays in the kernel under its identity), and giving one to a new identity would let policies for the new
    /// one apply to the old. An identity added with this number asked for explicitly is still accepted.
    /// </summary>
    public void Withhold(uint id)
    {
        if (id >= Identity.FirstEndpoint)
        {
            _withheld.Add(id);
        }
    }

    private void Put(Identity identity, LabelSet? key = null)
    {
        _byId[identity.Id] = identity;
        _byLabels[key ?? identity.Labels] = identity;
        _keyById[identity.Id] = key ?? identity.Labels;
        foreach (var address in identity.Addresses)
        {
            _byAddress[address] = identity;
        }

        if (identity.IsCidr)
        {
            _cidrs.Add(identity);
        }
    }

    /// <summary>
    /// Kubernetes gives every namespace the label kubernetes.io/metadata.name; add it to a pod's
    /// namespace labels so that namespaceSelectors naming it work without listing it.
    /// </summary>
    internal static LabelSet WithNamespaceName(LabelSet labels)
    {
        if (labels.Namespace is not { } ns || labels.TryGetValue(Label.SourceAny, NamespaceNameKey, out _))
        {
            return labels;
        }

        return new LabelSet([.. labels.Labels, new Label(Label.SourceKubernetes, NamespaceNameKey, ns)]);
    }
}
