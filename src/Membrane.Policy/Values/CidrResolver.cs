using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;

namespace Membrane.Policy.Values;

/// <summary>
/// Interprets CIDR fields: a prefix, or a prefix with exceptions. Validation reports its errors;
/// the rule compiler uses its results. One reading serves both, as <see cref="Icmp.IcmpFieldResolver"/>
/// does for ICMP, so the compiler never re-parses a value or drops a failure.
/// </summary>
public static class CidrResolver
{
    /// <summary>Reads a prefix; on error adds it to <paramref name="errors"/> and returns null.</summary>
    public static Cidr? Resolve(Scalar text, string path, bool allowBareAddress, ICollection<FieldError> errors)
    {
        if (Cidr.TryParse(text.Text, allowBareAddress, out var cidr, out var error))
        {
            return cidr;
        }

        errors.Add(Findings.Error(FieldErrorKind.Invalid, path, text.Position, error, text.Text, code: "MBR4010"));
        return null;
    }

    /// <summary>
    /// Reads a prefix and its exceptions, each inside it (with <paramref name="strict"/>, as
    /// Kubernetes' ipBlock demands, a strict subset). Null on any error: a set with an exception that
    /// cannot be read must never stand for the whole prefix (fail closed).
    /// </summary>
    public static CidrSet? ResolveSet(Scalar cidrText, PolicyList<Scalar> except, string cidrPath, string exceptPath, bool strict, ICollection<FieldError> errors)
    {
        if (Resolve(cidrText, cidrPath, allowBareAddress: false, errors) is not { } cidr)
        {
            return null;
        }

        var before = errors.Count;
        var exceptions = ImmutableArray.CreateBuilder<Cidr>(except.Count);
        for (var i = 0; i < except.Count; i++)
        {
            var text = except[i];
            var itemPath = FieldPath.Index(exceptPath, i);
            if (Resolve(text, itemPath, allowBareAddress: false, errors) is not { } exception)
            {
                continue;
            }

            if (!cidr.Contains(exception) || (strict && exception.PrefixLength == cidr.PrefixLength))
            {
                errors.Add(Findings.Error(FieldErrorKind.Invalid, itemPath, text.Position,
                    strict ? $"must be a strict subset of cidr {cidr}" : $"the exception does not lie inside cidr {cidr}", text.Text, code: "MBR4011"));
                continue;
            }

            exceptions.Add(exception);
        }

        return errors.Count == before ? new CidrSet(cidr, exceptions.ToImmutable()) : null;
    }
}
