namespace Membrane.Api;

/// <summary>
/// The agent's pins in <c>GET /v1/status</c>: <see cref="State"/> is <c>ok</c> (every pin in place), <c>repinned</c>
/// (some were removed from outside and made again; enforcement held), or <c>failing</c> (some cannot be made: those
/// endpoints fail closed if the agent stops, and <see cref="Problems"/> says which and why).
/// </summary>
public sealed record PinStatus(string State, int Repinned, DateTimeOffset? LastRepinned, IReadOnlyList<string> Problems);
