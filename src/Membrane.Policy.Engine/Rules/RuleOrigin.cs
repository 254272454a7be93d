using Membrane.Policy.Source;

namespace Membrane.Policy.Engine.Rules;

/// <summary>Which rule produced a decision: the policy, the rule's path in it, and where it was written.</summary>
public sealed record RuleOrigin(string Kind, string? Namespace, string Name, string Path, SourcePosition Position)
{
    public string PolicyName => Namespace is { Length: > 0 } ? $"{Namespace}/{Name}" : Name;

    public override string ToString()
    {
        var policy = PolicyName.Length == 0 ? Kind : $"{Kind} {PolicyName}";
        return Position.IsKnown ? $"{policy} {Path} ({Position.File}:{Position.Line})" : $"{policy} {Path}";
    }
}
