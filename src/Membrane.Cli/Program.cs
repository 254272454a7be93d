using Membrane.Cli.Commands;

return MembraneCommand.Run(args, Console.Out, Console.Error);
