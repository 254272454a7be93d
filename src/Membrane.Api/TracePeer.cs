namespace Membrane.Api;

/// <summary>
/// One side of a trace: the address it was named by (if it was), its identity, and the identity the other side's
/// datapath sees for that address (<see cref="SeenAs"/>, given with the address; it differs when labels name one
/// endpoint and the address belongs to another).
/// </summary>
public sealed record TracePeer(string? Address, uint Id, IReadOnlyList<string> Labels, uint? SeenAs = null);
