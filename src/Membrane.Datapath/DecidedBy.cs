namespace Membrane.Datapath;

/// <summary>Which policy lookup decided a new flow: the peer's identity, "any identity", or neither (the default).</summary>
public enum DecidedBy : byte
{
    None = 0,
    PeerEntry = 1,
    AnyIdentityEntry = 2,
    Default = 3,
}
