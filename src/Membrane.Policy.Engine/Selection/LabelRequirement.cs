using System.Collections.Immutable;
using Membrane.Policy.Engine.Labels;

namespace Membrane.Policy.Engine.Selection;

/// <summary>One compiled requirement of a selector: a key (with its source, or any), an operator and values.</summary>
public sealed record LabelRequirement(string Source, string Key, SelectorOperator Operator, ImmutableArray<string> Values)
{
    public bool Matches(LabelSet labels)
    {
        var present = labels.TryGetValue(Source, Key, out var value);
        return Operator switch
        {
            SelectorOperator.In => present && Values.Contains(value),
            SelectorOperator.NotIn => !present || !Values.Contains(value),
            SelectorOperator.Exists => present,
            _ => !present,
        };
    }

    public override string ToString()
    {
        var key = Source == Label.SourceAny ? Key : $"{Source}:{Key}";
        return Operator switch
        {
            SelectorOperator.In when Values.Length == 1 => $"{key}={Values[0]}",
            SelectorOperator.In => $"{key} in ({string.Join(",", Values)})",
            SelectorOperator.NotIn => $"{key} notin ({string.Join(",", Values)})",
            SelectorOperator.Exists => key,
            _ => $"!{key}",
        };
    }
}
