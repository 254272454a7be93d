using System.Text.Json.Serialization;

namespace Membrane.Api;

/// <summary>A rule behind a decision: its policy, the path of the rule in it, and where it was read.</summary>
public sealed record TraceRuleInfo(
    string Kind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Namespace,
    string Name,
    string Path,
    string File,
    int Line);
