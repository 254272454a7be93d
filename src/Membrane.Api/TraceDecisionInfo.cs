using System.Text.Json.Serialization;

namespace Membrane.Api;

/// <summary>One side's decision: allowed or denied, why, the map entry that decided (null by default), and the rules behind it.</summary>
public sealed record TraceDecisionInfo(
    string Verdict,
    string Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Entry,
    IReadOnlyList<TraceRuleInfo> Rules,
    bool ByDefault);
