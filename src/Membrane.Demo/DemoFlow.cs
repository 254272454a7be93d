namespace Membrane.Demo;

/// <summary>One flow of the demo: what was sent, what the policy says, what happened, and the drop events that explain it.</summary>
public sealed record DemoFlow(string From, string To, string What, bool ExpectedAllowed, bool ObservedAllowed, IReadOnlyList<string> Events)
{
    public bool AsExpected => ExpectedAllowed == ObservedAllowed;
}
