using System.CommandLine;
using System.Text.RegularExpressions;

namespace Membrane.Cli.Tests;

/// <summary>The last-resort handler, through a command only tests can add.</summary>
public sealed partial class InternalErrorTests
{
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void An_escaping_exception_is_one_line_and_the_trace_goes_to_a_file()
    {
        var (code, stdout, stderr) = CliHarness.RunWith(NoInput, [Crash(() => throw new InvalidOperationException("boom"))], "crash");

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.DoesNotContain(" at ", line);
        var match = TraceFile().Match(line);
        Assert.True(match.Success, line);
        Assert.StartsWith("membrane: internal error (InvalidOperationException): this is a bug in Membrane, not in your input; please report it to ", line);
        var path = match.Groups[1].Value;
        try
        {
            Assert.Equal(Path.GetTempPath(), Path.GetDirectoryName(path) + "/");
            var trace = File.ReadAllText(path);
            Assert.StartsWith("membrane crash\n", trace);
            Assert.Contains("System.InvalidOperationException: boom", trace);
            Assert.Contains(nameof(InternalErrorTests), trace);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void With_debug_the_trace_is_printed_and_no_file_written()
    {
        var (code, _, stderr) = CliHarness.RunWith(NoInput, [Crash(() => throw new InvalidOperationException("boom"))], "--debug", "crash");

        Assert.Equal(2, code);
        var lines = stderr.TrimEnd().Split('\n');
        Assert.EndsWith("with the trace below", lines[0]);
        Assert.Equal("System.InvalidOperationException: boom", lines[1]);
        Assert.Contains(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain("membrane-crash-", stderr);
    }

    [Fact]
    public void An_exception_from_a_parallel_worker_names_the_exception_inside()
    {
        var (code, _, stderr) = CliHarness.RunWith(
            NoInput, [Crash(() => Parallel.For(0, 4, i => throw new KeyNotFoundException($"worker {i}")))], "crash");

        Assert.Equal(2, code);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("membrane: internal error (KeyNotFoundException):", line);
        File.Delete(TraceFile().Match(line).Groups[1].Value);
    }

    [Fact]
    public void Several_failed_workers_name_the_first_exception_inside()
    {
        // Parallel.For stops the loop after the first failure, but workers already running may fail too: how many
        // depends on the cores, so the report must not depend on there being exactly one.
        var (code, _, stderr) = CliHarness.RunWith(
            NoInput,
            [Crash(() => throw new AggregateException(new KeyNotFoundException("a"), new InvalidOperationException("b")))],
            "crash");

        Assert.Equal(2, code);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("membrane: internal error (KeyNotFoundException):", line);
        File.Delete(TraceFile().Match(line).Groups[1].Value);
    }

    [Fact]
    public void The_test_command_is_not_in_the_help()
    {
        var (code, stdout, _) = CliHarness.RunWith(NoInput, [Crash(() => { })], "--help");

        Assert.Equal(0, code);
        Assert.DoesNotContain("crash", stdout);
        Assert.Contains("--debug", stdout);
    }

    private static Stream NoInput() => new MemoryStream();

    private static Command Crash(Action action)
    {
        var command = new Command("crash");
        command.SetAction(_ => action());
        return command;
    }

    [GeneratedRegex(@"with the trace in (\S*membrane-crash-\d{8}-\d{6}-\d+(?:-\d+)?\.txt)$")]
    private static partial Regex TraceFile();
}
