namespace Membrane.Policy.Reading;

/// <summary>Builds field paths the way Kubernetes prints them: <c>spec.egress[0].icmps</c>.</summary>
public static class FieldPath
{
    public static string Child(string parent, string field) => parent.Length == 0 ? field : $"{parent}.{field}";

    public static string Index(string parent, int index) => $"{parent}[{index}]";
}
