namespace Membrane.Policy.Source;

/// <summary>Where a node stands in a policy file. Lines and columns count from 1.</summary>
public readonly record struct SourcePosition(string File, int Line, int Column)
{
    /// <summary>A position for nodes built in code rather than read from a file.</summary>
    public static SourcePosition None { get; } = new("", 0, 0);

    public bool IsKnown => Line > 0;

    public override string ToString() => IsKnown ? $"{File}:{Line}:{Column}" : File;
}
