namespace Membrane.Api;

/// <summary>
/// <c>GET /v1/status</c>: the agent's health, what it manages, how its programs are attached, and the datapath's
/// counters since it was loaded: packets forwarded, drops by reason, events suppressed by the rate limit or lost, and
/// conntrack entries; then the agent's pins, and how full the policy map is.
/// </summary>
public sealed record StatusResponse(
    string Health,
    string Node,
    int Endpoints,
    long PolicyRevision,
    string? AttachMode,
    ulong Forwarded = 0,
    IReadOnlyDictionary<string, ulong>? Drops = null,
    ulong EventsSuppressed = 0,
    ulong EventsLost = 0,
    int ConntrackEntries = 0,
    PinStatus? Pins = null,
    MapUsage? PolicyMap = null);
