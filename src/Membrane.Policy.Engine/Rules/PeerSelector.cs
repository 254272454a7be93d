using Membrane.Policy.Engine.Identities;

namespace Membrane.Policy.Engine.Rules;

/// <summary>Which peers a rule names. <see cref="IsWildcard"/> peers match every identity, even ones not yet known.</summary>
public abstract record PeerSelector
{
    public virtual bool IsWildcard => false;

    public abstract bool Matches(Identity identity);
}
