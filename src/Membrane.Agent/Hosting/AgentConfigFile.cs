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

    private static readonly string[] Fields = ["stateDir", "socket", "bpffsRoot", "nodeName", "ipv4Pool", "ipv6Pool", "metrics", "policyMapEntries", "pinCheckInterval", "resyncInterval", "eventRate"];

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
