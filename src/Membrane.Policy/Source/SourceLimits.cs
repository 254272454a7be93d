namespace Membrane.Policy.Source;

/// <summary>
/// Bounds on what one input may cost to read. The defaults are far above any real policy (the
/// deepest in the corpus nests 12 levels; anchors there expand to a few dozen nodes) and far below
/// what would exhaust memory, the stack or a second of CPU.
/// </summary>
public sealed record SourceLimits
{
    public static SourceLimits Default { get; } = new();

    /// <summary>
    /// How deep objects and lists may nest. The readers recurse once per level; a .NET stack
    /// overflow kills the process with no chance to report, so the depth is refused long before.
    /// </summary>
    public int MaxDepth { get; init; } = 128;

    /// <summary>
    /// How many nodes aliases may add to a document beyond those written in it, at least. A
    /// "billion laughs" file multiplies a few anchors into exponentially many nodes through aliases;
    /// counting what each alias expands to stops it at the alias that crosses the budget.
    /// </summary>
    public int MinAliasBudget { get; init; } = 10_000;

    /// <summary>
    /// The alias budget also grows with the document: aliases may add up to this many times the
    /// nodes written, so a long file that reuses one selector in every rule still reads.
    /// </summary>
    public int AliasBudgetPerWrittenNode { get; init; } = 1;

    /// <summary>Findings kept per input; the rest are counted, so one bad file cannot flood the output.</summary>
    public int MaxFindings { get; init; } = 1_000;

    internal long AliasBudget(long writtenNodes) => Math.Max(MinAliasBudget, writtenNodes * AliasBudgetPerWrittenNode);
}
