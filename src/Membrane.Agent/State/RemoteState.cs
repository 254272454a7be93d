namespace Membrane.Agent.State;

/// <summary>
/// The other nodes' endpoints this node enforces against (<c>remote/endpoints.json</c>), so that a restarted agent's
/// first regeneration knows them before etcd is reached again, and no verdict about them changes meanwhile.
/// </summary>
public sealed record RemoteState(List<RemoteEndpointState> Endpoints);

/// <summary>One address of another node's endpoint: its identity's number and labels (canonical text), and its node.</summary>
public sealed record RemoteEndpointState(string Address, uint Identity, string Labels, string Node);
