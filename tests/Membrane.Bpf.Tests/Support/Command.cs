using System.Diagnostics;

namespace Membrane.Bpf.Tests.Support;

/// <summary>Runs a tool (ip, ping) as a child process and returns its exit code and output.</summary>
internal static class Command
{
    public static (int ExitCode, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
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
}
