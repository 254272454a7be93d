using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Source;

/// <summary>One document of an input, with what the reader found wrong inside it (duplicate keys).</summary>
public sealed record SourceDocument(SourceNode Root, ImmutableArray<FieldError> Findings);
