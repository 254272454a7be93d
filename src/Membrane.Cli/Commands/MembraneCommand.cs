using System.CommandLine;

namespace Membrane.Cli.Commands;

/// <summary>The root of the <c>membrane</c> command tree.</summary>
public static class MembraneCommand
{
    /// <summary>Exit code for bad usage or unreadable input, distinct from "policy invalid" (1).</summary>
    public const int UsageError = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Membrane: network policy for Linux, with explicit ICMP allow-listing, enforced with eBPF.");
        root.Subcommands.Add(PolicyCommand.Create(stdout, stderr));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                stderr.WriteLine($"membrane: {error.Message}");
            }

            stderr.WriteLine("Run 'membrane --help' for usage.");
            return UsageError;
        }

        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
