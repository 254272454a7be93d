using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Membrane.Cli.Tests.Agent.Cluster;

/// <summary>
/// etcd with mutual TLS, with certificates the test makes: an agent with a client certificate of the cluster's CA
/// joins; one without a certificate, one with a certificate of another CA, and one that does not trust the server's
/// CA do not start, and say why.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class ClusterTlsTests
{
    [Fact]
    public async Task Only_an_agent_with_a_client_certificate_of_the_clusters_ca_connects()
    {
        var directory = Directory.CreateTempSubdirectory("mbr-tls-").FullName;
        try
        {
            using var ca = Authority("membrane test CA");
            using var rogue = Authority("someone else's CA");
            var caFile = Write(directory, "ca.pem", ca.ExportCertificatePem());
            var rogueCaFile = Write(directory, "rogue-ca.pem", rogue.ExportCertificatePem());

            // The server's certificate names etcd's address; the testbed draws it, so the certificate is made for it.
            using var cluster = await StartAsync(directory, ca);
            var (clientCert, clientKey) = Issue(directory, "client", ca, server: null);
            var (rogueCert, rogueKey) = Issue(directory, "rogue", rogue, server: null);

            var good = cluster.AddNode("--etcd-ca", caFile, "--etcd-cert", clientCert, "--etcd-key", clientKey);
            await good.StartAsync();
            await ClusterTestbed.WaitAsync(good, s => s.Connected && s.Nodes.Count == 1, "joining over mutual TLS");
            good.CreateEndpoint(good.EndpointName("web"), "app=web");

            var refusals = new[]
            {
                (Name: "no client certificate", Arguments: new[] { "--etcd-ca", caFile }),
                (Name: "a certificate of another CA", Arguments: new[] { "--etcd-ca", caFile, "--etcd-cert", rogueCert, "--etcd-key", rogueKey }),
                (Name: "the server's CA not trusted", Arguments: new[] { "--etcd-ca", rogueCaFile, "--etcd-cert", clientCert, "--etcd-key", clientKey }),
            };
            foreach (var (name, arguments) in refusals)
            {
                var node = cluster.AddNode(arguments);
                var code = node.StartExpectingExit(seconds: 40);
                Assert.True(code != 0, $"{name}: the agent started\n{node.Log}");
                Assert.Contains("cluster mode: etcd", node.Log);
                Assert.Contains("is out of reach", node.Log);
                Assert.Contains("The TLS connection was refused", node.Log);
            }

            Assert.Contains("remote certificate", cluster.Nodes[^1].Log, StringComparison.OrdinalIgnoreCase);
            await ClusterTestbed.WaitAsync(good, s => s.Connected && s.Nodes.Count == 1, "staying the only node");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The testbed, with etcd serving a certificate of <paramref name="ca"/> issued for the address the testbed drew.</summary>
    private static Task<ClusterTestbed> StartAsync(string directory, X509Certificate2 ca) =>
        ClusterTestbed.StartAsync(nodes: 0, tls: address =>
        {
            var (certificate, key) = Issue(directory, "server", ca, server: IPAddress.Parse(address));
            return (certificate, key, Path.Combine(directory, "ca.pem"));
        });

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>A certificate signed by <paramref name="ca"/>: for a server at <paramref name="server"/>, or a client; its PEM files.</summary>
    private static (string Certificate, string Key) Issue(string directory, string name, X509Certificate2 ca, IPAddress? server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=membrane-{name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server is null ? new Oid("1.3.6.1.5.5.7.3.2") : new Oid("1.3.6.1.5.5.7.3.1")], false)); // clientAuth, serverAuth
        if (server is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(server);
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var certificate = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), serial);
        return (Write(directory, name + ".pem", certificate.ExportCertificatePem()), Write(directory, name + "-key.pem", key.ExportPkcs8PrivateKeyPem()));
    }

    private static string Write(string directory, string name, string pem)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, pem);
        return path;
    }
}
