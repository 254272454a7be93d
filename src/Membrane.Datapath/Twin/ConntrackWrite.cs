using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Twin;

/// <summary>One conntrack map update a packet made: a new flow's entry or a refresh of a tracked one, as written.</summary>
public sealed record ConntrackWrite(ConntrackKey Key, ConntrackEntry Entry);
