namespace Membrane.Api;

/// <summary>
/// How every failed call answers: an RFC 9457 problem details object (<c>application/problem+json</c>).
/// <see cref="Detail"/> is the sentence fit to show the user; <see cref="Type"/> names the kind of problem for a
/// program (<c>urn:membrane:problem:KIND</c>, such as <c>map-full</c>); <see cref="Title"/> is the same for every
/// problem of that type; <see cref="Status"/> repeats the HTTP status (RFC 9457 §3.1).
/// </summary>
public sealed record ApiProblem(string Type, string Title, int Status, string Detail)
{
    public const string ContentType = "application/problem+json";

    /// <summary>The type URI of a problem kind.</summary>
    public static string TypeOf(string kind) => $"urn:membrane:problem:{kind}";
}
