namespace Membrane.Netlink.Benchmarks;

/// <summary>
/// One endpoint as Membrane will make it: a namespace, a veth pair with its endpoint end created inside it, an IPv4
/// /30 and an IPv6 /64 (no DAD) on each end, both ends up, and default routes for both families in the endpoint
/// through the host end. Everything is named <c>mbrnlb…</c> and lives under a node namespace of the benchmark's own,
/// so the host's network is never touched.
/// </summary>
internal sealed record EndpointPlan(int Number, string Run)
{
    public string Namespace => $"mbrnlb{Run}e{Number}";

    public string HostSide => $"mbrnlb{Run}h{Number}";

    public string EndpointSide => $"mbrnlb{Run}p{Number}";

    public string HostAddress4 => $"10.234.{Number}.1";

    public string EndpointAddress4 => $"10.234.{Number}.2";

    public string HostAddress6 => $"fd00:234:{Number:x}::1";

    public string EndpointAddress6 => $"fd00:234:{Number:x}::2";
}
