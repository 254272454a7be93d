using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Inputs;

/// <summary>
/// What <see cref="InputCollector.Plan"/> found to read, in the order <see cref="InputCollector.Collect"/> reads it,
/// with the notes and errors of the walk. Holding paths rather than texts lets a caller read each input where it is
/// used (inside a parallel loop) and drop its text straight after, so a directory of many files never has all its
/// texts in memory at once. Standard input and a named pipe or device are read while planning: a stream is read
/// once and in the order given.
/// </summary>
public sealed class InputPlan
{
    private readonly InputCollector _collector;
    private readonly List<Planned> _inputs;
    private readonly List<FieldError> _findings;

    internal InputPlan(InputCollector collector, List<Planned> inputs, List<FieldError> findings)
    {
        _collector = collector;
        _inputs = inputs;
        _findings = findings;
    }

    /// <summary>How many inputs there are to read.</summary>
    public int Count => _inputs.Count;

    /// <summary>True when the walk itself failed (a missing path, an unreadable directory): the set is refused
    /// whatever the reads give, but reading the rest still names every other unreadable input.</summary>
    public bool HasErrors => _findings.Any(f => f.Severity == Severity.Error);

    /// <summary>
    /// True when input <paramref name="index"/> is a file (by device and inode) that an earlier input also names.
    /// Whether it is read or noted as "already read" depends on whether the earlier read succeeded, so read it
    /// only after every earlier input; any other input may be read concurrently with the rest.
    /// </summary>
    public bool IsRepeat(int index) => _inputs[index].Repeat;

    /// <summary>
    /// Reads input <paramref name="index"/>, once: its text (none when it was skipped or could not be read) and the
    /// notes and errors of the read, each naming the path. Thread-safe for inputs that are not repeats.
    /// </summary>
    public InputSet Read(int index)
    {
        var input = _inputs[index];
        if (input.Path is null)
        {
            // Read while planning; its findings are the plan's.
            return Interlocked.Exchange(ref input.Text, null) is { } text ? new InputSet([text], []) : new InputSet([], []);
        }

        return _collector.Read(input.Path, input.Status, input.InDirectory);
    }

    /// <summary>
    /// The whole set, as <see cref="InputCollector.Collect"/> returns it: <paramref name="reads"/> (one per input, in
    /// order) merged with the walk's findings in the order they were met.
    /// </summary>
    public InputSet Merge(IReadOnlyList<InputSet> reads)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(reads.Count, _inputs.Count, nameof(reads));
        var texts = ImmutableArray.CreateBuilder<InputText>(reads.Count);
        var findings = ImmutableArray.CreateBuilder<FieldError>(_findings.Count);
        var next = 0;
        for (var i = 0; i < reads.Count; i++)
        {
            for (; next < _inputs[i].FindingsBefore; next++)
            {
                findings.Add(_findings[next]);
            }

            texts.AddRange(reads[i].Texts);
            findings.AddRange(reads[i].Findings);
        }

        for (; next < _findings.Count; next++)
        {
            findings.Add(_findings[next]);
        }

        return new InputSet(texts.DrainToImmutable(), findings.DrainToImmutable());
    }

    /// <summary>
    /// One input: a file to open (<see cref="Path"/>, with the status the walk saw) or a text already read.
    /// <see cref="FindingsBefore"/> is how many of the plan's findings were met before it, which keeps the merged
    /// findings in the order a sequential read gives.
    /// </summary>
    internal sealed class Planned
    {
        public string? Path { get; init; }

        public FileStatus Status { get; init; }

        public bool InDirectory { get; init; }

        public bool Repeat { get; init; }

        public int FindingsBefore { get; init; }

        // A field, not a property: Read hands it out once with Interlocked.Exchange.
        public InputText? Text;
    }
}
