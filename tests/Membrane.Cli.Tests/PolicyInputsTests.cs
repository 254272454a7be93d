using System.Diagnostics;
using System.Text.Json;
using Membrane.Cli.Commands;

namespace Membrane.Cli.Tests;

/// <summary>How the commands read their inputs: the size limit, standard input, links and special files.</summary>
public sealed class PolicyInputsTests : IDisposable
{
    private const string Db = "k8s:app=db,k8s:io.kubernetes.pod.namespace=shop";

    // Any valid policy will do; these tests are about how it is read.
    private const string Policy = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: api, namespace: shop}
        spec:
          endpointSelector: {}
          ingress:
          - fromEntities: [cluster]
        """;

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    public static TheoryData<string[]> Commands => new()
    {
        new[] { "policy", "validate" },
        new[] { "policy", "trace", "--src", Db, "--dst", Db, "--dport", "80/TCP", "-f" },
        new[] { "policy", "resolve", "--endpoint", Db, "-f" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void An_input_past_the_limit_is_refused_naming_it_and_the_limit(string[] command)
    {
        var file = _cli.Write("db.yaml", Policy);

        var (code, stdout, stderr) = CliHarness.Run([.. command, file, "--max-input-size", "100"]);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"membrane: error MBR1021: {file}: input is larger than the limit of 100 bytes (--max-input-size)", stderr.Trim());
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_limit_with_a_suffix_is_accepted(string[] command)
    {
        var file = _cli.Write("db.yaml", Policy);

        var (code, _, stderr) = CliHarness.Run([.. command, file, "--max-input-size", "1KiB"]);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("2GiB")]
    public void A_size_that_is_not_one_is_a_usage_error(string size)
    {
        var file = _cli.Write("db.yaml", Policy);

        var (code, _, stderr) = CliHarness.Run("policy", "validate", file, "--max-input-size", size);

        Assert.Equal(2, code);
        Assert.StartsWith($"membrane: --max-input-size: \"{size}\" is not a size; give a number of bytes, optionally with KiB, MiB or GiB (e.g. 64MiB), from 1 byte to 512 MiB", stderr);
    }

    [Fact]
    public void An_endless_device_is_refused_at_the_default_limit()
    {
        var (code, _, stderr) = CliHarness.Run("policy", "validate", "/dev/zero");

        Assert.Equal(2, code);
        Assert.Equal("membrane: error MBR1021: /dev/zero: input is larger than the limit of 64 MiB (--max-input-size)", stderr.Trim());
    }

    [Fact]
    public void The_limit_applies_to_the_identities_file()
    {
        var file = _cli.Write("db.yaml", Policy);
        var identities = _cli.Write("ids.yaml", "identities:\n- labels: [k8s:app=web]\n  id: 1000\n" + new string('#', 1000));

        var (code, _, stderr) = CliHarness.Run("policy", "resolve", "-f", file, "--endpoint", Db, "--identities", identities, "--max-input-size", "1000");

        Assert.Equal(2, code);
        Assert.Equal($"membrane: error MBR1021: {identities}: input is larger than the limit of 1000 bytes (--max-input-size)", stderr.Trim());
    }

    [Theory]
    [InlineData("trace", "--src", Db, "--dst", Db, "--dport", "80/TCP")]
    [InlineData("resolve", "--endpoint", Db)]
    public void A_directory_given_as_the_identities_file_says_so(params string[] command)
    {
        var file = _cli.Write("db.yaml", Policy);
        var directory = _cli.Write("ids/ids.yaml", "identities: []\n");
        directory = Path.GetDirectoryName(directory)!;

        var (code, _, stderr) = CliHarness.Run(["policy", .. command, "-f", file, "--identities", directory]);

        Assert.Equal(2, code);
        Assert.Equal($"membrane: error MBR1015: {directory}: is a directory; --identities takes a file", stderr.Trim());
    }

    [Fact]
    public void A_dash_twice_reads_standard_input_once_with_a_note()
    {
        var (code, stdout, stderr) = CliHarness.RunWithInput(Policy, "policy", "validate", "-", "-");

        Assert.Equal(0, code);
        Assert.Equal("1 policy in 1 file: 0 invalid", stdout.Trim());
        Assert.Equal("<stdin>: note MBR1016: skipped: '-' is given more than once; standard input is read once", stderr.Trim());
    }

    [Fact]
    public void A_link_loop_in_a_directory_is_a_note_on_standard_error_and_json_stays_one_document()
    {
        _cli.Write("p/sub/db.yaml", Policy);
        var loop = Path.Combine(_cli.Directory, "p", "sub", "loop");
        File.CreateSymbolicLink(loop, "..");

        var (code, stdout, stderr) = CliHarness.Run("policy", "validate", "-o", "json", Path.Combine(_cli.Directory, "p"));

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.True(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal($"{loop}: note MBR1004: skipped: a symbolic link to a directory already visited ({Path.Combine(_cli.Directory, "p")})", stderr.Trim());
    }

    [Fact]
    public void Every_unreadable_input_is_reported_before_exit_2()
    {
        var file = _cli.Write("db.yaml", Policy);
        var missing = Path.Combine(_cli.Directory, "missing.yaml");
        var identities = Path.Combine(_cli.Directory, "no-ids.yaml");

        var (code, _, stderr) = CliHarness.Run("policy", "resolve", "-f", file, missing, "--endpoint", Db, "--identities", identities);

        Assert.Equal(2, code);
        Assert.Equal(
            [$"membrane: error MBR1012: {missing}: no such file or directory", $"membrane: error MBR1014: {identities}: no such file or directory"],
            stderr.TrimEnd().Split('\n'));
    }

    /// <summary>Through a real process: only a process started with fd 0 closed has a closed standard input.</summary>
    [Fact]
    public async Task A_closed_standard_input_is_an_error_not_a_hang()
    {
        var cli = typeof(MembraneCommand).Assembly.Location;
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec dotnet \"$0\" policy validate - <&-", cli])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);

        // A hang guard only: a hang would block here until the test run is cancelled.
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            Assert.Fail("membrane policy validate - <&- did not end");
        }

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("", await stdout);
        Assert.Equal("membrane: error MBR1017: <stdin>: cannot read: standard input is closed", (await stderr).Trim());
    }
}
