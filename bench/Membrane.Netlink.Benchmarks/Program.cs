using System.Diagnostics;
using System.Net;
using Membrane.Netlink;
using Membrane.Netlink.Addresses;
using Membrane.Netlink.Benchmarks;
using Membrane.Netlink.Namespaces;
using Membrane.Netlink.Routes;

// Creates and then deletes N endpoints (default 100), once through Membrane.Netlink and once by running the
// equivalent ip commands, one process per command as a shell-out would, and prints both times and their ratio.
// Usage: dotnet run -c Release --project bench/Membrane.Netlink.Benchmarks -- [count] [rounds]   (needs root)
var count = args.Length > 0 ? int.Parse(args[0]) : 100;
var rounds = args.Length > 1 ? int.Parse(args[1]) : 3;
if (!Environment.IsPrivilegedProcess)
{
    Console.Error.WriteLine("needs root: the benchmark creates network namespaces and links");
    return 1;
}

for (var round = 1; round <= rounds; round++)
{
    var run = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..3];
    var plans = Enumerable.Range(1, count).Select(number => new EndpointPlan(number, run)).ToList();
    var nodeName = $"mbrnlb{run}node";
    using var node = NetworkNamespace.Create(nodeName);
    try
    {
        var library = Measure(() => CreateWithLibrary(node, plans), () => DeleteWithLibrary(node, plans));
        var ip = Measure(() => CreateWithIp(nodeName, plans), () => DeleteWithIp(node, plans));
        Console.WriteLine(
            $"round {round}: {count} endpoints, library create {library.Create.TotalSeconds:F3} s + delete {library.Delete.TotalSeconds:F3} s = " +
            $"{library.Total.TotalSeconds:F3} s; ip create {ip.Create.TotalSeconds:F3} s + delete {ip.Delete.TotalSeconds:F3} s = " +
            $"{ip.Total.TotalSeconds:F3} s; ratio {ip.Total / library.Total:F1}x (create {ip.Create / library.Create:F1}x)");
    }
    finally
    {
        foreach (var plan in plans.Where(plan => NetworkNamespace.Exists(plan.Namespace)))
        {
            NetworkNamespace.Delete(plan.Namespace);
        }

        node.Dispose();
        NetworkNamespace.Delete(nodeName);
    }
}

return 0;

static (TimeSpan Create, TimeSpan Delete, TimeSpan Total) Measure(Action create, Action delete)
{
    // The kernel finishes tearing namespaces down in the background after their interfaces are gone; let the previous
    // phase's cleanup drain so it does not run on the next phase's clock.
    Thread.Sleep(TimeSpan.FromSeconds(3));
    var watch = Stopwatch.StartNew();
    create();
    var created = watch.Elapsed;
    delete();
    var total = watch.Elapsed;
    return (created, total - created, total);
}

static void CreateWithLibrary(NetworkNamespace node, List<EndpointPlan> plans)
{
    using var nodeLinks = Rtnetlink.Open(node);
    foreach (var plan in plans)
    {
        using var endpoint = NetworkNamespace.Create(plan.Namespace);
        nodeLinks.CreateVethPair(plan.HostSide, plan.EndpointSide, endpoint);
        var host = nodeLinks.GetLink(plan.HostSide).Index;
        nodeLinks.AddAddress(host, IPAddress.Parse(plan.HostAddress4), 30);
        nodeLinks.AddAddress(host, IPAddress.Parse(plan.HostAddress6), 64, AddressOptions.NoDuplicateAddressDetection);
        nodeLinks.SetLinkUp(plan.HostSide);

        using var links = Rtnetlink.Open(endpoint);
        var device = links.GetLink(plan.EndpointSide).Index;
        links.AddAddress(device, IPAddress.Parse(plan.EndpointAddress4), 30);
        links.AddAddress(device, IPAddress.Parse(plan.EndpointAddress6), 64, AddressOptions.NoDuplicateAddressDetection);
        links.SetLinkUp(plan.EndpointSide);
        links.AddRoute(new RouteSpec(IPNetwork.Parse("0.0.0.0/0")) { Gateway = IPAddress.Parse(plan.HostAddress4) });
        links.AddRoute(new RouteSpec(IPNetwork.Parse("::/0")) { Gateway = IPAddress.Parse(plan.HostAddress6) });
    }
}

// Deleting an endpoint's namespace destroys its veth pair; the kernel does that in its namespace cleanup work, which
// batches the interfaces' unregistration (one RCU wait for many, where each RTM_DELLINK waits on its own). Both ways
// count an endpoint as deleted only once its host end is gone from the node, so the time includes that cleanup.
static void DeleteWithLibrary(NetworkNamespace node, List<EndpointPlan> plans)
{
    foreach (var plan in plans)
    {
        NetworkNamespace.Delete(plan.Namespace);
    }

    WaitUntilGone(node, plans);
}

static void WaitUntilGone(NetworkNamespace node, List<EndpointPlan> plans)
{
    using var nodeLinks = Rtnetlink.Open(node);
    var hostSides = plans.Select(plan => plan.HostSide).ToHashSet();
    var deadline = Stopwatch.StartNew();
    while (nodeLinks.ListLinks().Any(link => hostSides.Contains(link.Name)))
    {
        if (deadline.Elapsed > TimeSpan.FromSeconds(60))
        {
            throw new TimeoutException("the kernel did not remove the endpoints' veth pairs within 60 s");
        }

        Thread.Sleep(5);
    }
}

static void CreateWithIp(string node, List<EndpointPlan> plans)
{
    foreach (var plan in plans)
    {
        Ip("netns", "add", plan.Namespace);
        Ip("-n", node, "link", "add", plan.HostSide, "type", "veth", "peer", "name", plan.EndpointSide, "netns", plan.Namespace);
        Ip("-n", node, "addr", "add", $"{plan.HostAddress4}/30", "dev", plan.HostSide);
        Ip("-n", node, "addr", "add", $"{plan.HostAddress6}/64", "dev", plan.HostSide, "nodad");
        Ip("-n", node, "link", "set", plan.HostSide, "up");
        Ip("-n", plan.Namespace, "addr", "add", $"{plan.EndpointAddress4}/30", "dev", plan.EndpointSide);
        Ip("-n", plan.Namespace, "addr", "add", $"{plan.EndpointAddress6}/64", "dev", plan.EndpointSide, "nodad");
        Ip("-n", plan.Namespace, "link", "set", plan.EndpointSide, "up");
        Ip("-n", plan.Namespace, "route", "add", "default", "via", plan.HostAddress4);
        Ip("-n", plan.Namespace, "-6", "route", "add", "default", "via", plan.HostAddress6);
    }
}

static void DeleteWithIp(NetworkNamespace node, List<EndpointPlan> plans)
{
    foreach (var plan in plans)
    {
        Ip("netns", "del", plan.Namespace);
    }

    WaitUntilGone(node, plans);
}

static void Ip(params string[] arguments)
{
    var start = new ProcessStartInfo("ip") { RedirectStandardError = true, UseShellExecute = false };
    foreach (var argument in arguments)
    {
        start.ArgumentList.Add(argument);
    }

    using var process = Process.Start(start)!;
    var error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed: {error.Trim()}");
    }
}
