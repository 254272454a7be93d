using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Inputs;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Source;
using Membrane.Policy.Validation.Schema;

namespace Membrane.Policy.Validation;

/// <summary>
/// Reads, validates and (optionally) lints a set of policy files. Files are independent, so they
/// are checked in parallel; the report keeps the order the files were given in.
/// </summary>
public static class PolicyValidationService
{
    public static ValidationReport Validate(IReadOnlyList<PolicyText> inputs, ValidationOptions? options = null, IProgress<int>? progress = null)
    {
        options ??= new ValidationOptions();
        var reports = new FileReport[inputs.Count];
        var done = 0;
        Parallel.For(0, inputs.Count, i =>
        {
            reports[i] = ValidateFile(inputs[i], options);
            progress?.Report(Interlocked.Increment(ref done));
        });

        return new ValidationReport([.. AddDuplicateNameWarnings(reports)]);
    }

    /// <summary>
    /// Reads and validates the inputs of <paramref name="plan"/> in parallel, each read where it is validated and its
    /// text dropped once checked, so only the texts in flight are in memory. <paramref name="inputs"/> receives what
    /// the reads found, as <see cref="InputCollector.Collect"/> would give it (without the texts). When some input
    /// cannot be read the report is null: the set is refused whole, and every input is still read so that every
    /// unreadable one is named, but no more are validated. The report keeps the plan's order.
    /// </summary>
    public static ValidationReport? Validate(InputPlan plan, ValidationOptions? options, IProgress<int>? progress, out InputSet inputs)
    {
        options ??= new ValidationOptions();
        var reads = new InputSet[plan.Count];
        var reports = new FileReport?[plan.Count];
        var failed = plan.HasErrors;
        var done = 0;
        void Step(int i)
        {
            var read = plan.Read(i);
            if (read.HasErrors)
            {
                Volatile.Write(ref failed, true);
            }
            else if (read.Texts is [var text] && !Volatile.Read(ref failed))
            {
                reports[i] = ValidateFile(new PolicyText(text.Name, text.Text), options);
            }

            reads[i] = read.Texts.IsEmpty ? read : read with { Texts = [] };
            progress?.Report(Interlocked.Increment(ref done));
        }

        Parallel.For(0, plan.Count, i =>
        {
            if (!plan.IsRepeat(i))
            {
                Step(i);
            }
        });

        // A repeat is read or noted as already read depending on how the earlier reads went, so after them.
        for (var i = 0; i < plan.Count; i++)
        {
            if (plan.IsRepeat(i))
            {
                Step(i);
            }
        }

        inputs = plan.Merge(reads);
        return inputs.HasErrors ? null : new ValidationReport([.. AddDuplicateNameWarnings([.. reports.OfType<FileReport>()])]);
    }

    public static FileReport ValidateFile(PolicyText input, ValidationOptions options)
    {
        var format = PolicyReader.DetectFormat(input.File, input.Text);
        var chunks = format == SourceFormat.Yaml && input.Text.Length >= SplitThreshold ? YamlStreamSplitter.Split(input.Text) : null;
        if (chunks is not { Count: > 1 })
        {
            var read = PolicyReader.Read(input.File, input.Text, format, options.Limits);
            return Bound(new FileReport(input.File, [.. Validate(read, options)], read.FileFindings), options.Limits.MaxFindings);
        }

        // A stream of many documents is read and checked a document at a time, on every core,
        // and each document's tree is dropped as soon as it is checked.
        var parts = new (List<PolicyReport> Policies, ImmutableArray<FieldError> Findings)[chunks.Count];
        Parallel.For(0, chunks.Count, i =>
        {
            var chunk = chunks[i];
            var read = PolicyReader.Read(input.File, input.Text.Substring(chunk.Start, chunk.Length), SourceFormat.Yaml, options.Limits, chunk.FirstLine, noteEmpty: false);
            parts[i] = (Validate(read, options), read.FileFindings);
        });

        // As in a sequential read, a syntax error ends the file: the documents after it are not read.
        var policies = ImmutableArray.CreateBuilder<PolicyReport>();
        var findings = ImmutableArray.CreateBuilder<FieldError>();
        foreach (var (partPolicies, partFindings) in parts)
        {
            policies.AddRange(partPolicies);
            findings.AddRange(partFindings);
            if (partFindings.Any(f => f.Kind == FieldErrorKind.Syntax))
            {
                break;
            }
        }

        if (policies.Count == 0 && findings.Count == 0)
        {
            findings.Add(new FieldError { Code = "MBR1001", Severity = Severity.Note, Kind = FieldErrorKind.Skipped, Path = "", Position = new SourcePosition(input.File, 0, 0), Detail = "the file holds no documents" });
        }

        return Bound(new FileReport(input.File, policies.ToImmutable(), findings.ToImmutable()), options.Limits.MaxFindings);
    }

    // Below this size a file is read in one piece: splitting would cost more than it saves.
    private const int SplitThreshold = 64 * 1024;

    private static List<PolicyReport> Validate(PolicyReadResult read, ValidationOptions options) => [.. read.Policies.Select(parsed =>
    {
        var findings = parsed.Findings.AddRange(WithoutEchoes(parsed.Findings, PolicyValidator.Validate(parsed.Document)));
        findings = findings.AddRange(CiliumCompatibility.Check(parsed, findings, options.CompatCilium));
        if (options.Lint)
        {
            findings = findings.AddRange(PolicyLinter.Lint(parsed.Document));
        }

        return new PolicyReport(options.KeepDocuments ? parsed.Document : Identifying(parsed.Document), findings);
    })];

    /// <summary>A policy without its rules: what a report needs to name it.</summary>
    private static PolicyDocument Identifying(PolicyDocument document) => document switch
    {
        CiliumPolicy cilium => cilium with { Spec = null, Specs = default },
        NetworkPolicy network => network with { Spec = null },
        _ => document,
    };

    /// <summary>
    /// A field the reader could not read (a list where one value belongs) is absent to validation,
    /// which would add a false "required value" for it: one error per field is enough.
    /// </summary>
    private static IEnumerable<FieldError> WithoutEchoes(ImmutableArray<FieldError> readerFindings, ImmutableArray<FieldError> validation)
    {
        if (readerFindings.IsEmpty)
        {
            return validation;
        }

        var unreadable = readerFindings.Where(f => f.Severity == Severity.Error).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        return validation.Where(f => f.Kind != FieldErrorKind.Required || !unreadable.Contains(f.Path));
    }

    /// <summary>
    /// Orders a file's findings by position, reports the findings of a node reached through several
    /// YAML aliases once (same place, same message, whatever the path), and keeps at most
    /// <paramref name="max"/>; the rest are counted, and errors among them still make their policy invalid.
    /// </summary>
    private static FileReport Bound(FileReport report, int max)
    {
        // Nothing to order, merge or bound; most files of a large run have no findings at all.
        if (report.FileFindings.IsEmpty && report.Policies.All(p => p.Findings.IsEmpty))
        {
            return report;
        }

        var all = new List<(int Owner, FieldError Finding)>();
        all.AddRange(report.FileFindings.Select(f => (-1, f)));
        for (var i = 0; i < report.Policies.Length; i++)
        {
            all.AddRange(report.Policies[i].Findings.Select(f => (i, f)));
        }

        var seen = new HashSet<(Severity, FieldErrorKind, SourcePosition, string, string?)>();
        var ordered = all.OrderBy(e => e.Finding.Position.Line).ThenBy(e => e.Finding.Position.Column)
            .Where(e => !e.Finding.Position.IsKnown || seen.Add((e.Finding.Severity, e.Finding.Kind, e.Finding.Position, e.Finding.Detail, e.Finding.BadValue)))
            .ToList();
        var kept = ordered.Take(max).ToList();
        var dropped = ordered.Skip(max).ToList();
        int ErrorsDropped(int owner) => dropped.Count(e => e.Owner == owner && e.Finding.Severity == Severity.Error);
        ImmutableArray<FieldError> KeptOf(int owner) => [.. kept.Where(e => e.Owner == owner).Select(e => e.Finding)];

        var policies = report.Policies.Select((p, i) => p with { Findings = KeptOf(i), SuppressedErrors = ErrorsDropped(i) });
        return report with
        {
            Policies = [.. policies],
            FileFindings = KeptOf(-1),
            SuppressedFindings = dropped.Count,
            SuppressedFileErrors = ErrorsDropped(-1),
        };
    }

    /// <summary>
    /// Two objects of one kind with one namespace and name would replace each other when applied,
    /// so one of them would be lost. Warn at the later one.
    /// </summary>
    private static IEnumerable<FileReport> AddDuplicateNameWarnings(FileReport[] reports)
    {
        var first = new Dictionary<(PolicyKind, string?, string), PolicyDocument>();
        foreach (var report in reports)
        {
            var policies = report.Policies.Select(policy =>
            {
                var (metadata, kind) = policy.Document switch
                {
                    CiliumPolicy c when c.PolicyKind != PolicyKind.CiliumRule => (c.Metadata, c.PolicyKind),
                    NetworkPolicy n => (n.Metadata, PolicyKind.NetworkPolicy),
                    _ => (null, default),
                };
                if (metadata?.Name is not { } name)
                {
                    return policy;
                }

                var ns = kind == PolicyKind.CiliumClusterwideNetworkPolicy ? null : metadata.Namespace?.Text ?? "default";
                if (first.TryAdd((kind, ns, name.Text), policy.Document))
                {
                    return policy;
                }

                var earlier = first[(kind, ns, name.Text)].Position;
                var warning = new FieldError
                {
                    Code = "MBR1002",
                    Severity = Severity.Warning,
                    Kind = FieldErrorKind.Duplicate,
                    Path = policy.Document.PathOf("metadata.name"),
                    Position = name.Position,
                    BadValue = name.Text,
                    Detail = $"another {kind} with this name{(ns is null ? "" : $" in namespace {ns}")} is defined at {earlier}; applied together, the later one replaces the earlier",
                };
                return policy with { Findings = policy.Findings.Add(warning) };
            });
            yield return report with { Policies = [.. policies] };
        }
    }
}
