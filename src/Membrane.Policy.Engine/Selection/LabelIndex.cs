using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Rules;

namespace Membrane.Policy.Engine.Selection;

/// <summary>
/// Identities by label key and value, so that a selector with an <c>In</c> requirement looks only
/// at the identities that carry one of its values instead of at every identity.
/// </summary>
public sealed class LabelIndex
{
    private readonly List<Identity> _all;
    private readonly Dictionary<(string Key, string Value), List<Identity>> _byLabel = [];

    public LabelIndex(IEnumerable<Identity> identities)
    {
        _all = [.. identities];
        foreach (var identity in _all)
        {
            foreach (var label in identity.Labels.Labels)
            {
                if (!_byLabel.TryGetValue((label.Key, label.Value), out var list))
                {
                    _byLabel[(label.Key, label.Value)] = list = [];
                }

                list.Add(identity);
            }
        }
    }

    /// <summary>The identities a peer matches.</summary>
    public List<Identity> Select(PeerSelector peer)
    {
        var candidates = peer is EndpointPeer endpoint ? Candidates(endpoint.Selector) : _all;
        var selected = new List<Identity>();
        foreach (var identity in candidates)
        {
            if (peer.Matches(identity))
            {
                selected.Add(identity);
            }
        }

        return selected;
    }

    /// <summary>The smallest superset of a selector's matches the index can name.</summary>
    private IEnumerable<Identity> Candidates(EndpointSelector selector)
    {
        IEnumerable<Identity>? best = null;
        var bestCount = int.MaxValue;
        foreach (var requirement in selector.Requirements)
        {
            if (requirement.Operator != SelectorOperator.In)
            {
                continue;
            }

            var count = 0;
            foreach (var value in requirement.Values)
            {
                count += _byLabel.TryGetValue((requirement.Key, value), out var list) ? list.Count : 0;
            }

            if (count < bestCount)
            {
                bestCount = count;
                best = requirement.Values.SelectMany(v => _byLabel.TryGetValue((requirement.Key, v), out var list) ? list : []).Distinct();
            }
        }

        return best ?? _all;
    }
}
