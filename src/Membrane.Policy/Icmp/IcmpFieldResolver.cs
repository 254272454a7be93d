using System.Collections.Immutable;
using System.Globalization;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;

namespace Membrane.Policy.Icmp;

/// <summary>
/// Interprets an <see cref="IcmpField"/>: the family, the type by number or by name (checked
/// against the family), and the codes. Validation reports its errors; the policy engine uses the
/// resulting <see cref="IcmpMatch"/>. One interpretation serves both, so they cannot disagree.
/// </summary>
public static class IcmpFieldResolver
{
    public const string FamilyIPv4 = "IPv4";
    public const string FamilyIPv6 = "IPv6";

    /// <summary>Resolves a field; on any error returns null and adds the errors to <paramref name="errors"/>.</summary>
    public static IcmpMatch? Resolve(IcmpField field, string path, ICollection<FieldError> errors)
    {
        var before = errors.Count;
        var family = ResolveFamily(field.Family, FieldPath.Child(path, "family"), errors);
        if (family is null)
        {
            return null;
        }

        var type = ResolveType(field, family.Value, path, errors);
        if (type is null)
        {
            return null;
        }

        var codes = ImmutableArray.CreateBuilder<IcmpCodeRange>();
        for (var i = 0; i < field.Codes.Count; i++)
        {
            var code = field.Codes[i];
            var codePath = field.Codes.Count == 1 ? FieldPath.Child(path, "code") : FieldPath.Index(FieldPath.Child(path, "code"), i);
            if (ResolveCode(code, family.Value, type.Value, codePath, errors) is { } range)
            {
                codes.Add(range);
            }
        }

        if (field.Codes.IsPresent && field.Codes.IsEmpty)
        {
            errors.Add(Error(FieldErrorKind.Required, FieldPath.Child(path, "code"), field.Position, "code is empty",
                hint: "remove code to match every code of the type, or list the codes", code: "MBR4001"));
        }

        return errors.Count == before ? new IcmpMatch(family.Value, type.Value, codes.ToImmutable()) : null;
    }

    public static IcmpFamily? ResolveFamily(Scalar? family, string path, ICollection<FieldError> errors)
    {
        switch (family?.Text)
        {
            case null or "" or FamilyIPv4:
                return IcmpFamily.IPv4;
            case FamilyIPv6:
                return IcmpFamily.IPv6;
            default:
                errors.Add(Error(FieldErrorKind.NotSupported, path, family.Value.Position, "family must be IPv4 or IPv6", family.Value.Text,
                    NameSuggester.DidYouMean(family.Value.Text, [FamilyIPv4, FamilyIPv6]), code: "MBR4002"));
                return null;
        }
    }

    private static byte? ResolveType(IcmpField field, IcmpFamily family, string path, ICollection<FieldError> errors)
    {
        var typePath = FieldPath.Child(path, "type");
        if (field.Type is not { } type || type.Text.Length == 0)
        {
            errors.Add(Error(FieldErrorKind.Required, typePath, field.Position, "an ICMP field needs a type: a number 0-255 or a name such as EchoRequest", code: "MBR4003"));
            return null;
        }

        if (IsNumeric(type.Text))
        {
            if (byte.TryParse(type.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                return number;
            }

            errors.Add(Error(FieldErrorKind.Invalid, typePath, type.Position, "an ICMP type is a number from 0 to 255", type.Text, code: "MBR4004"));
            return null;
        }

        if (IcmpTypes.FindByName(family, type.Text) is { } info)
        {
            return info.Type;
        }

        var familyName = FamilyName(family);
        if (IcmpTypes.FindByName(IcmpTypes.Other(family), type.Text) is { } other)
        {
            var otherName = other.Family == IcmpFamily.IPv6 ? "an ICMPv6" : "an ICMPv4";
            var setFamily = other.Family == IcmpFamily.IPv6 ? FamilyIPv6 : FamilyIPv4;
            errors.Add(Error(FieldErrorKind.Invalid, typePath, type.Position,
                $"{type.Text} is {otherName} type ({other.Type}); set family: {setFamily}", type.Text, code: "MBR4005"));
            return null;
        }

        errors.Add(Error(FieldErrorKind.NotSupported, typePath, type.Position, $"not an {familyName} type name", type.Text,
            NameSuggester.DidYouMean(type.Text, IcmpTypes.NamesOf(family)), code: "MBR4006"));
        return null;
    }

    private static IcmpCodeRange? ResolveCode(Scalar code, IcmpFamily family, byte type, string path, ICollection<FieldError> errors)
    {
        var text = code.Text.Trim();
        if (IsNumeric(text))
        {
            if (byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var single))
            {
                return IcmpCodeRange.Single(single);
            }

            errors.Add(Error(FieldErrorKind.Invalid, path, code.Position, "an ICMP code is a number from 0 to 255", code.Text, code: "MBR4007"));
            return null;
        }

        var dash = text.IndexOf('-');
        if (dash > 0 && IsNumeric(text[..dash].Trim()) && IsNumeric(text[(dash + 1)..].Trim()))
        {
            if (byte.TryParse(text[..dash].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var low)
                && byte.TryParse(text[(dash + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var high)
                && low <= high)
            {
                return new IcmpCodeRange(low, high);
            }

            errors.Add(Error(FieldErrorKind.Invalid, path, code.Position, "a code range is \"low-high\" with 0 <= low <= high <= 255", code.Text, code: "MBR4008"));
            return null;
        }

        var info = IcmpTypes.Find(family, type);
        if (info is not null && info.CodeNames.TryGetValue(text, out var named))
        {
            return IcmpCodeRange.Single(named);
        }

        // Name the type that does have this code, so the user sees what they mixed up.
        var owner = IcmpTypes.All.Where(t => t.CodeNames.ContainsKey(text)).OrderBy(t => t.Family == family ? 0 : 1).FirstOrDefault();
        var detail = owner switch
        {
            null => "not an ICMP code name; codes are numbers, ranges such as \"0-4\", or names of the destination-unreachable codes",
            _ when owner.Family == family => $"{text} is a code of {owner.Display}, not {IcmpTypes.Describe(family, type)}",
            _ => $"{text} is a code of {FamilyName(owner.Family)} {owner.Display}, not {FamilyName(family)} {IcmpTypes.Describe(family, type)}",
        };
        var names = info?.CodeNames.Keys ?? [];
        errors.Add(Error(FieldErrorKind.Invalid, path, code.Position, detail, code.Text, NameSuggester.DidYouMean(text, names), code: "MBR4009"));
        return null;
    }

    private static string FamilyName(IcmpFamily family) => family == IcmpFamily.IPv6 ? "ICMPv6" : "ICMPv4";

    // On a span: TrimStart and All on the string allocated a string and an enumerator for each ICMP type.
    private static bool IsNumeric(string text) => text.AsSpan().TrimStart("-+") is { Length: > 0 } digits && !digits.ContainsAnyExceptInRange('0', '9');

    private static FieldError Error(FieldErrorKind kind, string path, Source.SourcePosition position, string detail, string? bad = null, string? hint = null, string code = "") =>
        Findings.Error(kind, path, position, detail, bad, hint, code);
}
