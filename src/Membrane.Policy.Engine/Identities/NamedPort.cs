using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Identities;

/// <summary>A port an endpoint names, like a container port named <c>http</c>.</summary>
public readonly record struct NamedPort(ushort Port, L4Protocol Protocol);
