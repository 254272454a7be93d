using System.CommandLine;

namespace Membrane.Cli.Commands;

/// <summary><c>membrane policy ...</c>: offline work on policy files.</summary>
public static class PolicyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("policy", "Work with policy files offline: validate them.");
        command.Subcommands.Add(PolicyValidateCommand.Create(stdout, stderr));
        return command;
    }
}
