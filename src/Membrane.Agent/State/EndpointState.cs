namespace Membrane.Agent.State;

/// <summary>
/// One endpoint's state file (<c>endpoints/NAME.json</c>): what restore needs to take it back, or to sweep it away.
/// <see cref="Network"/> is null while <see cref="EndpointLifecycle.Creating"/> (nothing is known to exist yet);
/// <see cref="AttachMode"/> says how its programs were attached (tcx links are reopened from their pins, tc filters
/// from the interface).
/// </summary>
public sealed record EndpointState(
    string Name,
    string Namespace,
    IReadOnlyList<string> Labels,
    uint EndpointId,
    uint Identity,
    EndpointLifecycle Lifecycle,
    string? AdoptedNamespace,
    StoredNetwork? Network,
    string? AttachMode)
{
    /// <summary>
    /// The inode of the network namespace the agent made for the endpoint, written before the namespace gets its name
    /// under /run/netns: a create killed at any point is swept up by it, and a namespace of the same name that is not
    /// this one (someone else's) is never removed. Null for an adopted namespace, and in files of earlier versions.
    /// </summary>
    public ulong? NamespaceInode { get; init; }

    /// <summary>The ports it names, <c>{"http": "8080/TCP"}</c>; null for none, and in files of earlier versions.</summary>
    public Dictionary<string, string>? Ports { get; init; }
}
