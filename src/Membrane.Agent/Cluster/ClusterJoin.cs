using System.Net;
using System.Text.Json;
using Grpc.Core;
using Membrane.Cluster;

namespace Membrane.Agent.Cluster;

/// <summary>
/// What a node takes from the cluster before its agent starts: its pod CIDRs (from the cluster's pools, by transaction;
/// the ones it has when it has some) and the lease it had before a restart. Both are kept in the state directory
/// (<c>cluster/node.json</c>), so that an agent restarted while etcd is out of reach starts with the same CIDRs (its
/// endpoints' addresses) and keeps enforcing; without that file and without etcd, it does not start.
/// </summary>
public sealed record ClusterJoin(EtcdConnection Etcd, IPNetwork IPv4Cidr, IPNetwork IPv6Cidr, long SavedLease)
{
    private const string FileName = "node.json";

    /// <summary>The node's own record of its place in the cluster.</summary>
    public sealed record NodeFile(string Node, string IPv4Cidr, string IPv6Cidr, long Lease);

    public static async Task<ClusterJoin> JoinAsync(ClusterOptions options, string node, string stateDirectory, CancellationToken cancellation = default)
    {
        var etcd = new EtcdConnection(options.Etcd);
        try
        {
            var cached = Read(stateDirectory);
            if (cached is not null && cached.Node != node)
            {
                throw new State.AgentStateException($"{Path(stateDirectory)} is node {cached.Node}'s, not {node}'s; a state directory belongs to one node");
            }

            try
            {
                var v4 = await Bounded(options.Etcd, ct => new PodCidrAllocator(etcd.Client, options.IPv4Pool, options.IPv4NodePrefix).AllocateAsync(node, ct), cancellation);
                var v6 = await Bounded(options.Etcd, ct => new PodCidrAllocator(etcd.Client, options.IPv6Pool, options.IPv6NodePrefix).AllocateAsync(node, ct), cancellation);
                if (cached is not null && (cached.IPv4Cidr != v4.ToString() || cached.IPv6Cidr != v6.ToString()))
                {
                    throw new State.AgentStateException($"etcd gives node {node} the pod CIDRs {v4} and {v6}, but its endpoints have addresses of " +
                        $"{cached.IPv4Cidr} and {cached.IPv6Cidr} ({Path(stateDirectory)}); the agent does not start with two views of its own addresses");
                }

                Write(stateDirectory, new NodeFile(node, v4.ToString(), v6.ToString(), cached?.Lease ?? 0));
                return new ClusterJoin(etcd, v4, v6, cached?.Lease ?? 0);
            }
            catch (ClusterUnavailableException) when (cached is not null)
            {
                // etcd out of reach: the node starts as it was, and catches up when etcd answers.
                return new ClusterJoin(etcd, IPNetwork.Parse(cached.IPv4Cidr), IPNetwork.Parse(cached.IPv6Cidr), cached.Lease);
            }
        }
        catch
        {
            etcd.Dispose();
            throw;
        }
    }

    /// <summary>Remembers the lease now held, so a restarted agent takes it back (nothing it announced flaps).</summary>
    public void SaveLease(string stateDirectory, string node, long lease) =>
        Write(stateDirectory, new NodeFile(node, IPv4Cidr.ToString(), IPv6Cidr.ToString(), lease));

    /// <summary>
    /// Runs an etcd request bounded by the request timeout; etcd not answering is a <see cref="ClusterUnavailableException"/>
    /// that says so, other failures (a refused certificate) pass as they are, with their cause.
    /// </summary>
    public static async Task<T> Bounded<T>(EtcdOptions options, Func<CancellationToken, Task<T>> call, CancellationToken cancellation = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            return await call(timeout.Token);
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested && (e is OperationCanceledException or EtcdUnavailableException ||
            e is RpcException rpc && (rpc.StatusCode == StatusCode.Cancelled || EtcdConnection.IsUnavailable(rpc))))
        {
            throw new ClusterUnavailableException(OutOfReach(options, e), e);
        }
    }

    /// <summary>Why etcd is out of reach, in a user's terms; a refused TLS handshake says which files to check.</summary>
    private static string OutOfReach(EtcdOptions options, Exception e)
    {
        var endpoints = string.Join(",", options.Endpoints.Select(u => u.GetLeftPart(UriPartial.Authority)));
        var inner = e is RpcException { StatusCode: not (StatusCode.Cancelled or StatusCode.DeadlineExceeded) } rpc ? EtcdConnection.Describe(rpc) : null;
        var why = inner ?? $"no answer within {options.RequestTimeout.TotalSeconds:0.#} s";
        var tls = options.Endpoints[0].Scheme == "https" && inner is not null &&
            (inner.Contains("certificate", StringComparison.OrdinalIgnoreCase) || inner.Contains("SSL", StringComparison.Ordinal) ||
             inner.Contains("SslStream", StringComparison.Ordinal) || inner.Contains("handshake", StringComparison.OrdinalIgnoreCase));
        return $"etcd ({endpoints}) is out of reach: {why.TrimEnd('.')}" + (!tls ? "" :
            ". The TLS connection was refused: etcd takes only a client certificate its CA signed (--etcd-cert, --etcd-key), and the agent trusts only the CA given (--etcd-ca)");
    }

    private static string Path(string stateDirectory) => System.IO.Path.Combine(stateDirectory, "cluster", FileName);

    private static NodeFile? Read(string stateDirectory)
    {
        var path = Path(stateDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var file = JsonSerializer.Deserialize(File.ReadAllBytes(path), ClusterFileJsonContext.Default.NodeFile);
            return file is not null && IPNetwork.TryParse(file.IPv4Cidr, out _) && IPNetwork.TryParse(file.IPv6Cidr, out _) && file.Node is { Length: > 0 }
                ? file
                : throw new State.AgentStateException($"{path} does not hold a node's CIDRs; move it away to take them from etcd again");
        }
        catch (JsonException e)
        {
            throw new State.AgentStateException($"{path} does not read ({e.Message}); move it away to take the node's CIDRs from etcd again", e);
        }
    }

    private static void Write(string stateDirectory, NodeFile file)
    {
        var path = Path(stateDirectory);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(file, ClusterFileJsonContext.Default.NodeFile));
        File.Move(temporary, path, overwrite: true);
    }
}
