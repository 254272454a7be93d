using System.CommandLine;
using Membrane.Policy.Inputs;

namespace Membrane.Cli.Commands;

/// <summary>The root of the <c>membrane</c> command tree.</summary>
public static class MembraneCommand
{
    /// <summary>Exit code for bad usage or unreadable input, distinct from "policy invalid" (1).</summary>
    public const int UsageError = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, StandardInput.Open);

    /// <summary>
    /// Runs one command line. Exit codes are 0, 1 and 2, and 3 from <c>membrane agent</c> when its state needs a person
    /// (<see cref="Membrane.Agent.State.AgentStateException.ExitCode"/>, which the systemd unit does not restart on): an
    /// exception escaping a command is reported as an internal error (<see cref="InternalError"/>), never as a trace. <paramref name="extraCommands"/> lets
    /// tests add a command that throws; no user can reach it.
    /// </summary>
    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr, Func<Stream> stdin, params Command[] extraCommands)
    {
        var debug = new Option<bool>("--debug") { Description = "On an internal error, print the trace instead of writing it to a file.", Recursive = true };
        var root = new RootCommand("Membrane: network policy for Linux, with explicit ICMP allow-listing, enforced with eBPF.");
        root.Options.Add(debug);
        root.Subcommands.Add(PolicyCommand.Create(stdout, stderr, stdin));
        root.Subcommands.Add(BpfCommand.Create(stdout, stderr));
        root.Subcommands.Add(BenchCommand.Create(stdout, stderr));
        root.Subcommands.Add(Agent.AgentCommand.Create(stderr));
        root.Subcommands.Add(Agent.EndpointCommand.Create(stdout, stderr));
        root.Subcommands.Add(Agent.NamespaceCommand.Create(stdout, stderr));
        root.Subcommands.Add(Agent.StatusCommand.Create(stdout, stderr));
        root.Subcommands.Add(Agent.ClusterCommand.Create(stdout, stderr));
        root.Subcommands.Add(Agent.NodeCommand.Create(stdout, stderr));
        root.Subcommands.Add(Agent.MonitorCommand.Create(stdout, stderr));
        root.Subcommands.Add(Agent.DemoCommand.Create(stdout, stderr));
        foreach (var extra in extraCommands)
        {
            extra.Hidden = true;
            root.Subcommands.Add(extra);
        }

        ParseResult? parse = null;
        try
        {
            parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors)
                {
                    stderr.WriteLine($"membrane: {error.Message}");
                }

                stderr.WriteLine("Run 'membrane --help' for usage.");
                return UsageError;
            }

            // System.CommandLine's own handler would print the trace and exit 1; ours prints one line and exits 2.
            // Without termination handling a signal ends the process as it would any program, not with exit 130.
            var code = parse.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
            return code is 0 or 1 or 2 or Membrane.Agent.State.AgentStateException.ExitCode ? code : UsageError;
        }
        catch (Exception e)
        {
            var withDebug = parse is { Errors.Count: 0 } ? parse.GetValue(debug) : args.Contains("--debug");
            return InternalError.Report(e, args, stderr, withDebug);
        }
    }
}
