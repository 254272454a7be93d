using System.Diagnostics;
using System.Text.Json;

namespace Membrane.Testing;

/// <summary>Runs a tool (ip, tc, ping) as a child process, bounded in time, to drive and check the kernel from tests.</summary>
public static class Command
{
    public static (int ExitCode, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in 20 s");
        }

        return (process.ExitCode, output.Result + error.Result);
    }

    public static string Check(string file, params string[] arguments)
    {
        var (exitCode, output) = Run(file, arguments);
        return exitCode == 0
            ? output
            : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({exitCode}): {output}");
    }

    /// <summary><c>ip -n NAMESPACE -j ARGS</c>, parsed: iproute2's view of the kernel, to hold the library's to.</summary>
    public static JsonElement IpJson(string networkNamespace, params string[] arguments)
    {
        var output = Check("ip", ["-n", networkNamespace, "-j", .. arguments]);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>One ICMP echo with a one-second timeout, from inside <paramref name="networkNamespace"/>.</summary>
    public static bool Ping(string networkNamespace, string address) =>
        Run("ip", "netns", "exec", networkNamespace, "ping", address.Contains(':') ? "-6" : "-4", "-c", "1", "-W", "1", address).ExitCode == 0;

    /// <summary>
    /// A stream of echo requests from inside <paramref name="networkNamespace"/>, <paramref name="intervalSeconds"/>
    /// apart, each waiting at most a second, run to the end; the counts ping reports (0, 0 if it printed none). For
    /// checking that no verdict changes while something else happens (an agent restarting).
    /// </summary>
    public static async Task<(int Sent, int Received)> PingCountsAsync(string networkNamespace, string address, int count, double intervalSeconds = 0.02)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "netns", "exec", networkNamespace, "ping", address.Contains(':') ? "-6" : "-4", "-n", "-q",
            "-i", intervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-W", "1", address })
        {
            start.ArgumentList.Add(argument);
        }

        using var ping = Process.Start(start) ?? throw new InvalidOperationException("could not start ping");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10 + count * intervalSeconds * 2));
        try
        {
            var output = await ping.StandardOutput.ReadToEndAsync(timeout.Token);
            await ping.WaitForExitAsync(timeout.Token);
            var counts = System.Text.RegularExpressions.Regex.Match(output, @"(\d+) packets transmitted, (\d+) received");
            return counts.Success ? (int.Parse(counts.Groups[1].Value), int.Parse(counts.Groups[2].Value)) : (0, 0);
        }
        finally
        {
            if (!ping.HasExited)
            {
                ping.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Pings up to five times: a fresh veth needs a moment, and the first echo waits on ARP or ND.</summary>
    public static bool PingEventually(string networkNamespace, string address)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (Ping(networkNamespace, address))
            {
                return true;
            }
        }

        return false;
    }
}
