namespace Membrane.Cli.Tests.Hostile;

/// <summary>Tests that measure the whole process (allocation) run with no other test beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
