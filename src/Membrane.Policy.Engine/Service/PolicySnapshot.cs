using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Service;

/// <summary>
/// A policy service's state at one moment, to take a change back to (<see cref="PolicyService.Reinstate(PolicySnapshot)"/>):
/// the policies held, their revision, and the CIDR identities with their numbers, which the kernel's maps name.
/// </summary>
public sealed record PolicySnapshot(IReadOnlyList<PolicyResource> Resources, long Revision, IReadOnlyList<(Cidr Prefix, uint Id)> Cidrs);
