namespace Membrane.Agent.Tests;

/// <summary>This project's kernel tests run one at a time: they make namespaces and ping with one-second timeouts.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AgentKernelCollection
{
    public const string Name = "Agent kernel";
}
