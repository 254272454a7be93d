using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Membrane.Cluster;

/// <summary>
/// One gRPC channel to etcd (dotnet-etcd's generated clients over it), with TLS and a client certificate when the
/// options say so, and every request bounded by <see cref="EtcdOptions.RequestTimeout"/>: an etcd that does not answer
/// is an <see cref="EtcdUnavailableException"/>, never a hang. Several endpoints are one channel that picks the first
/// that answers and moves to the next when it fails.
/// </summary>
public sealed class EtcdConnection : IDisposable
{
    /// <summary>The most keys one range request returns; a listing larger than this is read in pages at one revision.</summary>
    public const int PageSize = 2_000;

    private readonly GrpcChannel _channel;
    private readonly X509Certificate2? _ca;
    private readonly X509Certificate2? _clientCertificate;
    private readonly RequestCounter _requests = new();

    public EtcdConnection(EtcdOptions options, Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect = null)
    {
        Options = options;
        if (options.Endpoints.Count == 0)
        {
            throw new ArgumentException("no etcd endpoint given", nameof(options));
        }

        var secure = options.Endpoints[0].Scheme == "https";
        if ((options.CertFile is null) != (options.KeyFile is null))
        {
            throw new ArgumentException("a client certificate needs its key, and a key its certificate: give both --etcd-cert and --etcd-key");
        }

        if (!secure && (options.CaFile ?? options.CertFile) is not null)
        {
            throw new ArgumentException("TLS files are given but the etcd endpoints are http://; use https:// endpoints");
        }

        try
        {
            _ca = options.CaFile is null ? null : X509Certificate2.CreateFromPem(File.ReadAllText(options.CaFile));
            _clientCertificate = options.CertFile is null ? null : X509Certificate2.CreateFromPemFile(options.CertFile, options.KeyFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"the etcd TLS files do not read: {e.Message}", e);
        }

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.RequestTimeout,
            // Pings find a dead connection (a partition, a killed server) in seconds, not at the TCP timeout.
            KeepAlivePingDelay = TimeSpan.FromSeconds(5),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            EnableMultipleHttp2Connections = true,
        };
        if (connect is not null)
        {
            handler.ConnectCallback = connect;
        }

        if (secure)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = _clientCertificate is null ? null : new X509CertificateCollection { _clientCertificate },
                RemoteCertificateValidationCallback = ValidateServer,
            };
        }

        var channelOptions = new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 64 << 20,
        };
        if (options.Endpoints.Count == 1)
        {
            _channel = GrpcChannel.ForAddress(options.Endpoints[0], channelOptions);
        }
        else
        {
            // Several endpoints: a static resolver over them, picking the first that answers.
            var services = new ServiceCollection();
            services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => options.Endpoints.Select(e => new BalancerAddress(e.Host, e.Port))));
            channelOptions.ServiceProvider = services.BuildServiceProvider();
            channelOptions.Credentials = secure ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;
            channelOptions.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new PickFirstConfig() } };
            _channel = GrpcChannel.ForAddress("static:///etcd", channelOptions);
        }

        var invoker = _channel.Intercept(_requests);
        Kv = new KV.KVClient(invoker);
        Leases = new Lease.LeaseClient(invoker);
        Watches = new Watch.WatchClient(invoker);
        Client = new EtcdClient(invoker);
    }

    public EtcdOptions Options { get; }

    /// <summary>Every call started against etcd through this connection (requests, and streams opened), counted here.</summary>
    public long Requests => _requests.Count;

    public KV.KVClient Kv { get; }

    public Lease.LeaseClient Leases { get; }

    public Watch.WatchClient Watches { get; }

    /// <summary>dotnet-etcd's client over the same channel (the allocators use it).</summary>
    public EtcdClient Client { get; }

    /// <summary>Call options for one request: its deadline, and the caller's cancellation.</summary>
    public CallOptions Call(CancellationToken cancellation = default) => new(deadline: DateTime.UtcNow + Options.RequestTimeout, cancellationToken: cancellation);

    /// <summary>
    /// Every key under <paramref name="prefix"/>, at one revision (the latest, read by the first page), in pages of
    /// <see cref="PageSize"/>; returns the keys and that revision.
    /// </summary>
    public async Task<(List<Mvccpb.KeyValue> Kvs, long Revision)> ListAsync(string prefix, CancellationToken cancellation = default)
    {
        var end = ByteString.CopyFrom(PrefixEnd(prefix));
        var key = ByteString.CopyFromUtf8(prefix);
        var kvs = new List<Mvccpb.KeyValue>();
        long revision = 0;
        while (true)
        {
            var page = await Guard(() => Kv.RangeAsync(new RangeRequest { Key = key, RangeEnd = end, Limit = PageSize, Revision = revision }, Call(cancellation)).ResponseAsync, "list " + prefix);
            revision = page.Header.Revision;
            kvs.AddRange(page.Kvs);
            if (!page.More || page.Kvs.Count == 0)
            {
                return (kvs, revision);
            }

            // The next page starts just after the last key read (the key with a zero byte appended).
            key = ByteString.CopyFrom([.. page.Kvs[^1].Key.Span, 0]);
        }
    }

    /// <summary>Runs a transaction; an etcd that does not answer is an <see cref="EtcdUnavailableException"/>.</summary>
    public Task<TxnResponse> TxnAsync(TxnRequest request, string what, CancellationToken cancellation = default) =>
        Guard(() => Kv.TxnAsync(request, Call(cancellation)).ResponseAsync, what);

    /// <summary>
    /// Runs a request, turning "etcd did not answer" (unavailable, deadline passed, no leader) into
    /// <see cref="EtcdUnavailableException"/>; other failures (a refused certificate, permission) pass as they are.
    /// </summary>
    public static async Task<T> Guard<T>(Func<Task<T>> call, string what)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (IsUnavailable(e))
        {
            throw new EtcdUnavailableException($"etcd did not answer ({what}): {Describe(e)}", e);
        }
    }

    /// <summary>Whether a failure means etcd could not be reached or could not answer now (and a retry may work).</summary>
    public static bool IsUnavailable(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.ResourceExhausted or StatusCode.Unknown or StatusCode.Internal;

    /// <summary>A failure's status and detail, with the innermost cause (a refused handshake says why).</summary>
    public static string Describe(RpcException e)
    {
        var inner = e.Status.DebugException;
        while (inner?.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        var detail = e.Status.Detail.ReplaceLineEndings(" ");
        return inner is null || detail.Contains(inner.Message.ReplaceLineEndings(" "), StringComparison.Ordinal)
            ? $"{e.StatusCode}: {detail}"
            : $"{e.StatusCode}: {detail} ({inner.Message.ReplaceLineEndings(" ")})";
    }

    /// <summary>The end of the range of keys that start with <paramref name="prefix"/> (etcd's prefix end: the last byte plus one).</summary>
    public static byte[] PrefixEnd(string prefix)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(prefix);
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return bytes[..(i + 1)];
            }
        }

        return [0];
    }

    private bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }

        if (_ca is null)
        {
            return errors == SslPolicyErrors.None;
        }

        // The server's certificate must chain to the configured CA alone (not to whatever the machine trusts), and name
        // one of the configured endpoints.
        using var leaf = new X509Certificate2(certificate);
        using var own = new X509Chain();
        own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        own.ChainPolicy.CustomTrustStore.Add(_ca);
        own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return own.Build(leaf) && Options.Endpoints.Any(e => leaf.MatchesHostname(e.IdnHost.Trim('[', ']')));
    }

    public void Dispose()
    {
        Client.Dispose();
        _channel.Dispose();
        _ca?.Dispose();
        _clientCertificate?.Dispose();
    }
}
