using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Selection;

namespace Membrane.Policy.Engine.Rules;

public sealed record EndpointPeer(EndpointSelector Selector) : PeerSelector
{
    public override bool Matches(Identity identity) => Selector.Matches(identity);

    public override string ToString() => $"endpoints {Selector}";
}
