namespace Membrane.Policy.Inputs;

/// <summary>How the collector reads: the size limit, and where standard input comes from.</summary>
public sealed record InputOptions
{
    /// <summary>The most bytes any one input may have; see <see cref="InputSize"/>.</summary>
    public long MaxInputSize { get; init; } = InputSize.Default;

    /// <summary>How the caller sets the limit, named in the error past it (the CLI says <c>--max-input-size</c>).</summary>
    public string? MaxInputSizeSetting { get; init; }

    /// <summary>Opens standard input for <c>-</c>; throws <see cref="IOException"/> when there is none.
    /// Tests pass a stream of their own.</summary>
    public Func<Stream> StandardInput { get; init; } = Inputs.StandardInput.Open;
}
