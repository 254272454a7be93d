namespace Membrane.Policy.Source;

/// <summary>One key and its value in a mapping, in the order written.</summary>
public readonly record struct SourceEntry(SourceScalar Key, SourceNode Value);
