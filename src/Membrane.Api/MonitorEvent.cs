namespace Membrane.Api;

/// <summary>
/// A datapath event as the agent streams it (<c>GET /v1/monitor</c>, one JSON object per line): a drop, a passed new
/// flow, or a count of events the datapath's rate limit suppressed since the last one. Source and destination are
/// the packet's, with the endpoints' names and labels filled in.
/// </summary>
public sealed record MonitorEvent(
    DateTimeOffset Time,
    string Type,
    string Verdict,
    string Reason,
    string Direction,
    string Protocol,
    int? IcmpType,
    int? IcmpCode,
    string? IcmpTypeName,
    string? SourceIp,
    string? DestinationIp,
    int? SourcePort,
    int? DestinationPort,
    MonitorPeer? Source,
    MonitorPeer? Destination,
    bool IsReply,
    string Summary,
    long Suppressed = 0)
{
    public const string TypeDrop = "drop";
    public const string TypePolicyVerdict = "policy-verdict";
    public const string TypeSuppressed = "suppressed";
}
