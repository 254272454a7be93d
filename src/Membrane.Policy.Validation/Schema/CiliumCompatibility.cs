using System.Text.RegularExpressions;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Icmp;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;

namespace Membrane.Policy.Validation.Schema;

/// <summary>
/// Checks a policy as a cluster running Cilium would admit it: against the CRD's schema, and for
/// Membrane's extensions. By default the CRD's refusals are warnings ("a Kubernetes API server with
/// Cilium's CRD rejects this") and extensions pass; with <c>--compat cilium</c> both are errors,
/// and an extension's error names the portable way to write it. A refusal Membrane has already
/// reported at the same field is not repeated (under <c>--compat cilium</c>, only when Membrane's
/// finding is an error).
/// </summary>
internal static partial class CiliumCompatibility
{
    public static IEnumerable<FieldError> Check(ParsedPolicy parsed, IReadOnlyList<FieldError> membraneFindings, bool compatCilium)
    {
        var kind = parsed.Document is CiliumPolicy c ? c.PolicyKind : PolicyKind.NetworkPolicy;
        if (parsed.Source is not { } source || CrdSchemas.For(kind) is not { } schema)
        {
            return [];
        }

        var violations = CrdSchemaValidator.Validate(source, schema, parsed.Document.PathPrefix);
        if (violations.Count == 0)
        {
            return [];
        }

        var reported = membraneFindings.Where(f => f.Severity == Severity.Error || !compatCilium).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var findings = new List<FieldError>();
        foreach (var violation in violations)
        {
            if (Extension(violation) is { } extension)
            {
                if (compatCilium)
                {
                    findings.Add(new FieldError
                    {
                        Code = "MBR6001",
                        Severity = Severity.Error,
                        Kind = FieldErrorKind.Extension,
                        Path = violation.Path,
                        Position = violation.Position,
                        BadValue = violation.Value,
                        Detail = $"{extension.What} {(extension.Plural ? "are" : "is")} a Membrane extension that Cilium does not have (--compat cilium)",
                        Hint = extension.Portable,
                    });
                }

                continue;
            }

            // A missing member is reported by Membrane at the member's path, under the object
            // the CRD's oneOf or anyOf names.
            if (reported.Contains(violation.Path) || violation.Members.Any(m => reported.Contains(FieldPath.Child(violation.Path, m))))
            {
                continue;
            }

            findings.Add(new FieldError
            {
                Code = "MBR6002",
                Severity = compatCilium ? Severity.Error : Severity.Warning,
                Kind = FieldErrorKind.CrdRejects,
                Path = violation.Path,
                Position = violation.Position,
                BadValue = violation.Value,
                Detail = $"a Kubernetes API server with Cilium's CRD rejects this: {violation.Detail}",
                Hint = violation.Hint,
            });
        }

        return findings;
    }

    /// <summary>Whether a refusal is of something Membrane adds to Cilium's language, and how to write it portably.</summary>
    private static (string What, bool Plural, string? Portable)? Extension(CrdViolation violation)
    {
        if (!IcmpFieldPath().IsMatch(violation.Path))
        {
            return null;
        }

        if (violation.Kind == CrdViolationKind.UnknownField && violation.Path.EndsWith(".code", StringComparison.Ordinal))
        {
            return ("ICMP codes", true, "remove code to match every code of the type, the only form Cilium has");
        }

        if (violation.Kind == CrdViolationKind.Pattern && violation.Path.EndsWith(".type", StringComparison.Ordinal) && violation.Value is { } name)
        {
            foreach (var family in new[] { IcmpFamily.IPv4, IcmpFamily.IPv6 })
            {
                if (IcmpTypes.FindByName(family, name) is not { } info)
                {
                    continue;
                }

                // Cilium's CRD spells ExtendedEchoReply "ExtendedEcho Reply" (a line break in its
                // source), so no name for that type passes it: the number is the portable form.
                var portable = info.CiliumName is { } cilium && cilium != name && cilium != "ExtendedEchoReply"
                    ? $"write Cilium's name {cilium} or the number {info.Type}"
                    : $"write the number {info.Type}";
                return name == info.NftName
                    ? ($"the nftables type name \"{name}\"", false, portable)
                    : ($"the type name \"{name}\"", false, portable);
            }
        }

        return null;
    }

    // \z, not $, which also matches before a final "\n": a path ends in a user's key, and "type\n" is not type.
    [GeneratedRegex(@"icmps\[\d+\]\.fields\[\d+\]\.(code|type)(\[\d+\])?\z")]
    private static partial Regex IcmpFieldPath();
}
