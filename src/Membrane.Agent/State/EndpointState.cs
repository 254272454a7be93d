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
    string? AttachMode);
