using System.Collections.Immutable;

namespace Membrane.Policy.Engine.Rules;

/// <summary>One compiled allow or deny rule: a direction, its peers, and what it matches above L3.</summary>
public sealed record CompiledPeerRule(TrafficDirection Direction, Verdict Verdict, ImmutableArray<PeerSelector> Peers, ImmutableArray<L4Match> L4, RuleOrigin Origin);
