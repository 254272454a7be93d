using System.Net;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Membrane.Agent.Hosting;

/// <summary>
/// The agent's config file (<c>/etc/membrane/agent.yaml</c> by default, or <c>--config</c>): a YAML mapping of the
/// same settings as the flags, which override it.
/// <code>
/// stateDir: /var/lib/membrane
/// socket: /run/membrane/membrane.sock
/// bpffsRoot: /sys/fs/bpf/membrane
/// nodeName: node-1
/// ipv4Pool: 10.200.0.0/16
/// ipv6Pool: fd00:200::/64
/// metrics: 127.0.0.1:9962   # or none
/// policyMapEntries: 1048576
/// pinCheckInterval: 1        # seconds
/// </code>
/// A field it does not know, or a value that does not read, is an error naming the file, line and field, and the
/// agent does not start: a typo must not quietly run an agent on other paths.
/// </summary>
public static class AgentConfigFile
{
    public const string DefaultPath = "/etc/membrane/agent.yaml";

    /// <summary>The largest config file read: a few lines are expected; a huge one is a mistake or hostile.</summary>
    public const int MaxBytes = 64 << 10;

    /// <summary>Cluster mode's settings, each also a flag of the same name in kebab case (<c>etcdEndpoints</c> is <c>--etcd-endpoints</c>).</summary>
    public static readonly string[] ClusterFields = ["cluster", "etcdEndpoints", "etcdCa", "etcdCert", "etcdKey", "clusterPoolIPv4", "clusterPoolIPv6",
        "nodeCidrSize", "nodeCidrSizeIPv6", "nodeAddresses", "leaseTtl", "identityGrace"];

    private static readonly string[] Fields = ["stateDir", "socket", "bpffsRoot", "nodeName", "ipv4Pool", "ipv6Pool", "metrics", "policyMapEntries", "pinCheckInterval", "resyncInterval", "eventRate",
        .. ClusterFields];

    /// <summary>The policy map's bounds: room for a few endpoints at least, and what the kernel lets one map have (u32).</summary>
    public const int MinPolicyMapEntries = 64;
    public const int MaxPolicyMapEntries = 1 << 28;

    /// <summary>Reads <paramref name="path"/> over <paramref name="defaults"/>; a <see cref="FormatException"/> says what is wrong, and where.</summary>
    public static AgentHostOptions Read(string path, AgentHostOptions defaults)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FormatException($"{path}: no such file");
        }

        if (info.Length > MaxBytes)
        {
            throw new FormatException($"{path}: {info.Length} bytes; a config file has at most {MaxBytes}");
        }

        return Parse(path, File.ReadAllText(path), defaults);
    }

    public static AgentHostOptions Parse(string path, string text, AgentHostOptions defaults)
    {
        // The parser recurses per nesting level: a file of 60,000 '[' would exhaust the stack. Settings are scalars, so
        // any real nesting is an error anyway.
        var depth = 0;
        foreach (var c in text)
        {
            depth += c is '[' or '{' ? 1 : c is ']' or '}' ? -1 : 0;
            if (depth > 8)
            {
                throw new FormatException($"{path}: nested too deeply; the settings are plain values ({string.Join(", ", Fields)})");
            }
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new FormatException($"{path}:{e.Start.Line}:{e.Start.Column}: {e.Message}", e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return defaults;
        }

        if (stream.Documents.Count > 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new FormatException($"{path}:1:1: the config file is one mapping of settings ({string.Join(", ", Fields)})");
        }

        var options = defaults;
        foreach (var (keyNode, valueNode) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            string Where(YamlNode node) => $"{path}:{node.Start.Line}:{node.Start.Column}: {key}";
            if (!Fields.Contains(key, StringComparer.Ordinal))
            {
                throw new FormatException($"{Where(keyNode)}: unknown setting; the settings are {string.Join(", ", Fields)}");
            }

            if (valueNode is not YamlScalarNode { Value: { Length: > 0 } value })
            {
                throw new FormatException($"{Where(valueNode)}: needs a value");
            }

            if (ClusterFields.Contains(key, StringComparer.Ordinal))
            {
                try
                {
                    options = Cluster(options, key, value);
                }
                catch (FormatException e)
                {
                    throw new FormatException($"{Where(valueNode)}: {e.Message}", e);
                }

                continue;
            }

            options = key switch
            {
                "stateDir" => options with { StateDirectory = value },
                "socket" => options with { Socket = value },
                "bpffsRoot" => options with { BpffsRoot = value },
                "nodeName" => options with { NodeName = value },
                "ipv4Pool" => options with { IPv4Pool = Pool(value, System.Net.Sockets.AddressFamily.InterNetwork) ?? throw new FormatException($"{Where(valueNode)}: \"{value}\" is not an IPv4 prefix, such as 10.200.0.0/16") },
                "ipv6Pool" => options with { IPv6Pool = Pool(value, System.Net.Sockets.AddressFamily.InterNetworkV6) ?? throw new FormatException($"{Where(valueNode)}: \"{value}\" is not an IPv6 prefix, such as fd00:200::/64") },
                "policyMapEntries" => options with { PolicyMapEntries = (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var entries) ? PolicyMapEntries(entries) : null)
                    ?? throw new FormatException($"{Where(valueNode)}: \"{value}\" is not a number of entries from {MinPolicyMapEntries} to {MaxPolicyMapEntries}") },
                "pinCheckInterval" => options with { PinCheckInterval = (double.TryParse(value, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? PinCheckInterval(seconds) : null)
                    ?? throw new FormatException($"{Where(valueNode)}: \"{value}\" is not a number of seconds from 0.1 to 3600") },
                "eventRate" => options with { EventRate = (uint.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rate) ? EventRate(rate) : null)
                    ?? throw new FormatException($"{Where(valueNode)}: \"{value}\" is not a number of events per second from {MinEventRate} to {MaxEventRate}") },
                "resyncInterval" => options with { ResyncInterval = (double.TryParse(value, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var resync) ? ResyncInterval(resync) : null)
                    ?? throw new FormatException($"{Where(valueNode)}: \"{value}\" is not a number of seconds from 0.1 to 3600") },
                _ => options with { Metrics = value == "none" ? null : Metrics(value) ?? throw new FormatException($"{Where(valueNode)}: \"{value}\" is not a loopback address and port, such as 127.0.0.1:9962, or none") },
            };
        }

        return options;
    }

    /// <summary>
    /// Applies one of cluster mode's settings (<see cref="ClusterFields"/>); a <see cref="FormatException"/> says what the
    /// value should be. The flags and the config file share this, so they read values alike.
    /// </summary>
    public static AgentHostOptions Cluster(AgentHostOptions options, string key, string value)
    {
        static double Seconds(string text, double min, double max, string what) =>
            double.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var s) && s >= min && s <= max
                ? s
                : throw new FormatException($"\"{text}\" is not {what}: seconds from {min} to {max}");

        static int Length(string text, int min, int max) =>
            int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                ? n
                : throw new FormatException($"\"{text}\" is not a prefix length from {min} to {max}");

        if (key == "cluster")
        {
            return options with { ClusterMode = value is "true" ? true : value is "false" ? false : throw new FormatException($"\"{value}\" is not true or false") };
        }

        var cluster = options.ClusterSettings ?? new Membrane.Agent.Cluster.ClusterOptions(new Membrane.Cluster.EtcdOptions([]));
        cluster = key switch
        {
            "etcdEndpoints" => cluster with { Etcd = cluster.Etcd with { Endpoints = Membrane.Cluster.EtcdOptions.ParseEndpoints(value) } },
            "etcdCa" => cluster with { Etcd = cluster.Etcd with { CaFile = value } },
            "etcdCert" => cluster with { Etcd = cluster.Etcd with { CertFile = value } },
            "etcdKey" => cluster with { Etcd = cluster.Etcd with { KeyFile = value } },
            "clusterPoolIPv4" => cluster with { IPv4Pool = Pool(value, System.Net.Sockets.AddressFamily.InterNetwork) ?? throw new FormatException($"\"{value}\" is not an IPv4 prefix, such as 10.240.0.0/12") },
            "clusterPoolIPv6" => cluster with { IPv6Pool = Pool(value, System.Net.Sockets.AddressFamily.InterNetworkV6) ?? throw new FormatException($"\"{value}\" is not an IPv6 prefix, such as fd00:240::/96") },
            "nodeCidrSize" => cluster with { IPv4NodePrefix = Length(value, 8, 30) },
            "nodeCidrSizeIPv6" => cluster with { IPv6NodePrefix = Length(value, 64, 126) },
            "nodeAddresses" => cluster with { NodeAddresses = NodeAddresses(value) },
            "leaseTtl" => cluster with { LeaseTtl = TimeSpan.FromSeconds(Seconds(value, 2, 600, "a lease TTL")) },
            "identityGrace" => cluster with { IdentityGrace = TimeSpan.FromSeconds(Seconds(value, 1, 86400, "a grace period")) },
            _ => throw new FormatException($"{key} is not a cluster setting"),
        };
        return options with { ClusterSettings = cluster };
    }

    /// <summary>The node's underlay addresses: a comma-separated list, one address per family at most.</summary>
    private static IReadOnlyList<IPAddress> NodeAddresses(string text)
    {
        var addresses = new List<IPAddress>();
        foreach (var entry in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!IPAddress.TryParse(entry, out var address) || IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            {
                throw new FormatException($"\"{entry}\" is not a node's underlay address (an IPv4 or IPv6 address of the node, not loopback)");
            }

            if (addresses.Any(a => a.AddressFamily == address.AddressFamily))
            {
                throw new FormatException($"two {address.AddressFamily} addresses; give one underlay address per family");
            }

            addresses.Add(address);
        }

        return addresses.Count > 0 ? addresses : throw new FormatException("no address given");
    }

    /// <summary>A policy map size within bounds, or null.</summary>
    public static int? PolicyMapEntries(int entries) => entries is >= MinPolicyMapEntries and <= MaxPolicyMapEntries ? entries : null;

    /// <summary>A pin check interval within bounds (a tenth of a second to an hour), or null.</summary>
    public static TimeSpan? PinCheckInterval(double seconds) => seconds is >= 0.1 and <= 3600 ? TimeSpan.FromSeconds(seconds) : null;

    public const uint MinEventRate = 1;

    /// <summary>A million a second per CPU: far more than user space can decode, so the ring buffer's room, not the bucket, is the bound.</summary>
    public const uint MaxEventRate = 1_000_000;

    /// <summary>An event rate within bounds, or null.</summary>
    public static uint? EventRate(uint perSecond) => perSecond is >= MinEventRate and <= MaxEventRate ? perSecond : null;

    /// <summary>A resync interval within bounds (a tenth of a second to an hour), or null.</summary>
    public static TimeSpan? ResyncInterval(double seconds) => PinCheckInterval(seconds);

    /// <summary>A pool prefix of the given family, or null.</summary>
    public static IPNetwork? Pool(string text, System.Net.Sockets.AddressFamily family) =>
        IPNetwork.TryParse(text, out var pool) && pool.BaseAddress.AddressFamily == family ? pool : null;

    /// <summary>A loopback address and a port other than 0, or null: metrics name endpoints and policies, so they stay on loopback.</summary>
    public static IPEndPoint? Metrics(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && IPAddress.IsLoopback(endpoint.Address) && endpoint.Port != 0 ? endpoint : null;
}
