using Membrane.Policy.Engine.Service;
using Membrane.Policy.Model;

namespace Membrane.Agent.State;

/// <summary>A policy's resource key as the state file holds it.</summary>
public sealed record StoredPolicyKey(string Kind, string? Namespace, string Name)
{
    public static StoredPolicyKey Of(ResourceKey key) => new(key.Kind.ToString(), key.Namespace, key.Name);

    /// <summary>The key, or a <see cref="FormatException"/> for a kind this Membrane does not know.</summary>
    public ResourceKey ToKey() => Enum.TryParse<PolicyKind>(Kind, out var kind)
        ? new ResourceKey(kind, Namespace, Name)
        : throw new FormatException($"live: \"{Kind}\" is not a policy kind");
}
