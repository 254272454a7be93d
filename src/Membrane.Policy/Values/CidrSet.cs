using System.Collections.Immutable;

namespace Membrane.Policy.Values;

/// <summary>A prefix and the prefixes it leaves out, each read once by <see cref="CidrResolver"/>.</summary>
public sealed record CidrSet(Cidr Prefix, ImmutableArray<Cidr> Except);
