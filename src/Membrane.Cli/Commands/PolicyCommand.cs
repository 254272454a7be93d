using System.CommandLine;

namespace Membrane.Cli.Commands;

/// <summary><c>membrane policy ...</c>: offline work on policy files.</summary>
public static class PolicyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, Func<Stream> stdin)
    {
        var command = new Command("policy", "Work with policy files offline: validate, trace a packet, resolve an endpoint's map state.");
        command.Subcommands.Add(PolicyValidateCommand.Create(stdout, stderr, stdin));
        command.Subcommands.Add(PolicyTraceCommand.Create(stdout, stderr, stdin));
        command.Subcommands.Add(PolicyResolveCommand.Create(stdout, stderr, stdin));
        return command;
    }
}
