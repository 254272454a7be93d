namespace Membrane.Agent.State;

/// <summary>A CIDR identity: the prefix a policy names and its number, which the maps key on and restore keeps.</summary>
public sealed record StoredCidr(uint Identity, string Prefix);
