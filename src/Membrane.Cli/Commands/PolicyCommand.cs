using System.CommandLine;

namespace Membrane.Cli.Commands;

/// <summary><c>membrane policy ...</c>: offline work on policy files.</summary>
public static class PolicyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, Func<Stream> stdin)
    {
        var command = new Command("policy", "Policies: validate, trace and resolve files offline; import, get and delete the agent's live policies.");
        command.Subcommands.Add(PolicyValidateCommand.Create(stdout, stderr, stdin));
        command.Subcommands.Add(PolicyTraceCommand.Create(stdout, stderr, stdin));
        command.Subcommands.Add(PolicyResolveCommand.Create(stdout, stderr, stdin));
        foreach (var live in Agent.PolicyImportCommand.Create(stdout, stderr, stdin))
        {
            command.Subcommands.Add(live);
        }
        return command;
    }
}
