using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;

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

    public static FileReport ValidateFile(PolicyText input, ValidationOptions options)
    {
        var read = PolicyReader.Read(input.File, input.Text);
        var policies = read.Policies.Select(parsed =>
        {
            var findings = parsed.Findings.AddRange(PolicyValidator.Validate(parsed.Document));
            if (options.Lint)
            {
                findings = findings.AddRange(PolicyLinter.Lint(parsed.Document));
            }

            return new PolicyReport(parsed.Document, Order(findings));
        });
        return new FileReport(input.File, [.. policies], Order(read.FileFindings));
    }

    private static ImmutableArray<FieldError> Order(ImmutableArray<FieldError> findings) =>
        [.. findings.OrderBy(f => f.Position.Line).ThenBy(f => f.Position.Column)];

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
