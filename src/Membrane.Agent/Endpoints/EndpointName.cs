using System.Text.RegularExpressions;

namespace Membrane.Agent.Endpoints;

/// <summary>
/// An endpoint's name. It becomes a network namespace name (/run/netns/NAME, so that <c>ip netns exec NAME</c> works),
/// part of pin paths and of the host-side interface's name, so only a short DNS label is accepted (RFC 1123 §2.1: lower
/// case letters, digits and '-', starting and ending with a letter or digit), at most <see cref="MaxLength"/>
/// characters. Anything else, a path separator, a dot, upper case or a control character, is refused, never
/// rewritten.
/// </summary>
public static partial class EndpointName
{
    public const int MaxLength = 32;

    public static bool IsValid(string? name, out string error)
    {
        error = "";
        if (string.IsNullOrEmpty(name))
        {
            error = "an endpoint name is required";
        }
        else if (name.Length > MaxLength)
        {
            error = $"an endpoint name has at most {MaxLength} characters; this one has {name.Length}";
        }
        else if (!Label().IsMatch(name))
        {
            error = "an endpoint name is a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit";
        }

        return error.Length == 0;
    }

    /// <summary>
    /// Whether a Kubernetes namespace name is valid: a DNS label of at most 63 characters (RFC 1123, as the API server
    /// checks it). It becomes a label value of the endpoint's identity.
    /// </summary>
    public static bool IsValidNamespace(string? name) => name is { Length: > 0 and <= 63 } && Label().IsMatch(name);

    /// <summary>
    /// Whether a name can be a file under /run/netns, where an adopted namespace is looked up (iproute2's rule: not
    /// empty, not "." or "..", no '/', at most 255 bytes); control characters are refused too, since the name is shown
    /// in lists and logs.
    /// </summary>
    public static bool IsValidNamespaceFile(string? name, out string problem)
    {
        problem = name switch
        {
            null or "" => "is empty",
            "." or ".." => "is not a namespace name",
            _ when name.Contains('/') => "contains '/'",
            _ when System.Text.Encoding.UTF8.GetByteCount(name) > 255 => "is longer than 255 bytes",
            _ when name.Any(char.IsControl) => "contains a control character",
            _ => "",
        };
        return problem.Length == 0;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the problem, as the API answers a bad name.</summary>
    public static string Check(string? name) =>
        IsValid(name, out var error) ? name! : throw new ArgumentException($"invalid endpoint name \"{name}\": {error}", nameof(name));

    // \z, not $: $ also matches before a final newline, which would let "web\n" through.
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Label();
}
