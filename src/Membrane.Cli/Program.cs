using Membrane.Cli;
using Membrane.Cli.Commands;

InternalError.InstallBackstop(args, Console.Error);
return MembraneCommand.Run(args, Console.Out, Console.Error);
