namespace Membrane.Policy.Values;

/// <summary>The operators of Kubernetes label selector requirements, which are case-sensitive.</summary>
public static class SelectorOperators
{
    public const string In = "In";
    public const string NotIn = "NotIn";
    public const string Exists = "Exists";
    public const string DoesNotExist = "DoesNotExist";

    public static IReadOnlyList<string> Names { get; } = [In, NotIn, Exists, DoesNotExist];
}
