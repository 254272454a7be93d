namespace Membrane.Datapath;

public static class VerdictReasonExtensions
{
    public static bool IsDrop(this VerdictReason reason) => reason >= VerdictReason.FirstDrop;

    /// <summary>The words events and counters print.</summary>
    public static string Describe(this VerdictReason reason) => reason switch
    {
        VerdictReason.NotIp => "not IP",
        VerdictReason.NeighbourDiscovery => "neighbour discovery",
        VerdictReason.Established => "established",
        VerdictReason.Reply => "reply",
        VerdictReason.Related => "related ICMP error",
        VerdictReason.PolicyAllowed => "policy allowed",
        VerdictReason.DefaultAllowed => "allowed by default",
        VerdictReason.FragmentAllowed => "fragment of allowed datagram",
        VerdictReason.PolicyDenied => "policy denied",
        VerdictReason.DefaultDenied => "denied by default",
        VerdictReason.Truncated => "truncated",
        VerdictReason.MalformedIpHeader => "malformed IP header",
        VerdictReason.TooManyExtensionHeaders => "too many extension headers",
        VerdictReason.FragmentWithoutFirst => "fragment without first fragment",
        VerdictReason.FragmentOfDenied => "fragment of denied datagram",
        VerdictReason.UnknownEndpoint => "unknown endpoint",
        VerdictReason.MalformedL4Header => "malformed L4 header",
        VerdictReason.UnsupportedEncapsulation => "unsupported encapsulation",
        VerdictReason.InvalidSource => "invalid source IP",
        _ => $"reason {(byte)reason}",
    };
}
