using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Membrane.Testing;

/// <summary>
/// A real etcd (Debian's <c>etcd-server</c>) for a test, run with <c>ip netns exec</c> inside a network namespace the
/// test made, listening on an address of that namespace only (never on the machine's own interfaces), with its data
/// in a temporary directory. It can be stopped (SIGKILL), paused (SIGSTOP: it answers nobody, as an etcd without a
/// leader) and started again on the same data. Dispose kills it and removes its data.
/// </summary>
public sealed partial class EtcdProcess : IDisposable
{
    private readonly string _namespace;
    private readonly string _address;
    private readonly IReadOnlyList<string> _tls;
    private readonly string _name;
    private readonly string _initialCluster;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private EtcdProcess(string networkNamespace, string address, IReadOnlyList<string> tls, string name = "mbr", string? initialCluster = null)
    {
        (_namespace, _address, _tls, _name) = (networkNamespace, address, tls, name);
        _initialCluster = initialCluster ?? $"{name}=http://{Host}:2380";
    }

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("mbr-etcd-").FullName;

    /// <summary>The client URL: <c>http://ADDRESS:2379</c>, or https with TLS.</summary>
    public string ClientUrl => $"{(_tls.Count > 0 ? "https" : "http")}://{Host}:2379";

    private string Host => _address.Contains(':') ? $"[{_address}]" : _address;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Starts etcd in <paramref name="networkNamespace"/> on <paramref name="address"/> (client port 2379, peer port
    /// 2380) and waits up to 20 s until its client port accepts connections. With <paramref name="certificate"/>,
    /// <paramref name="key"/> and <paramref name="clientCa"/> it serves TLS and requires client certificates signed by
    /// that CA (mutual TLS).
    /// </summary>
    public static async Task<EtcdProcess> StartAsync(string networkNamespace, string address, string? certificate = null, string? key = null, string? clientCa = null)
    {
        Root.Require();
        if (!File.Exists("/usr/bin/etcd"))
        {
            Xunit.Assert.Skip("needs etcd (Debian's etcd-server; test.sh installs it)");
        }

        IReadOnlyList<string> tls = certificate is null ? [] : ["--cert-file", certificate, "--key-file", key!, "--client-cert-auth", "--trusted-ca-file", clientCa!];
        var etcd = new EtcdProcess(networkNamespace, address, tls);
        try
        {
            await etcd.StartAgainAsync();
            return etcd;
        }
        catch
        {
            etcd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts a cluster of etcd members in <paramref name="networkNamespace"/>, one on each of
    /// <paramref name="addresses"/>, and waits until each accepts connections; Dispose each.
    /// </summary>
    public static async Task<IReadOnlyList<EtcdProcess>> StartClusterAsync(string networkNamespace, IReadOnlyList<string> addresses)
    {
        Root.Require();
        if (!File.Exists("/usr/bin/etcd"))
        {
            Xunit.Assert.Skip("needs etcd (Debian's etcd-server; test.sh installs it)");
        }

        string Host(string a) => a.Contains(':') ? $"[{a}]" : a;
        var initial = string.Join(",", addresses.Select((a, i) => $"mbr{i}=http://{Host(a)}:2380"));
        var members = addresses.Select((a, i) => new EtcdProcess(networkNamespace, a, [], $"mbr{i}", initial)).ToList();
        try
        {
            // Started together: a member waits for a quorum of its peers before it serves.
            await Task.WhenAll(members.Select(m => m.StartAgainAsync()));
            return members;
        }
        catch
        {
            members.ForEach(m => m.Dispose());
            throw;
        }
    }

    /// <summary>Starts etcd again on the same data (after <see cref="Kill"/>), and waits until it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("etcd is running");
        }

        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        var scheme = _tls.Count > 0 ? "https" : "http";
        foreach (var argument in new[]
        {
            "netns", "exec", _namespace, "etcd", "--name", _name, "--data-dir", DataDirectory,
            "--listen-client-urls", $"{scheme}://{Host}:2379", "--advertise-client-urls", $"{scheme}://{Host}:2379",
            "--listen-peer-urls", $"http://{Host}:2380", "--initial-advertise-peer-urls", $"http://{Host}:2380",
            "--initial-cluster", _initialCluster, "--log-level", "warn",
        }.Concat(_tls))
        {
            start.ArgumentList.Add(argument);
        }

        _process?.Dispose();
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            // bash's /dev/tcp, run inside the namespace: a connection to the client port, and nothing else needed.
            var (code, _) = Command.Run("ip", "netns", "exec", _namespace, "bash", "-c", $"exec 3<>/dev/tcp/{_address}/2379");
            if (code == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                throw new InvalidOperationException($"etcd did not come up in {_namespace} on {_address}:\n{Log}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL: etcd is gone (its data stays, for <see cref="StartAgainAsync"/>).</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGSTOP, or SIGCONT: a paused etcd accepts connections and answers nothing, as a member without a leader.</summary>
    public void Pause(bool paused)
    {
        // ip netns exec runs etcd as its child (it execs): the pid is etcd's.
        _ = Signal(_process!.Id, paused ? 19 : 18);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (_process is { HasExited: false })
            {
                _ = Signal(_process.Id, 18);
            }

            Kill();
            _process?.Dispose();
        }
        finally
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Signal(int pid, int signal);
}
