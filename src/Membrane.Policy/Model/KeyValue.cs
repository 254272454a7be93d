namespace Membrane.Policy.Model;

/// <summary>One entry of a string map such as <c>matchLabels</c> or <c>metadata.labels</c>.</summary>
public sealed record KeyValue(Scalar Key, Scalar Value) : PolicyNode;
