using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;

namespace Membrane.Policy.Reading;

/// <summary>
/// A policy as read from a file, with what the reader found wrong with it, and the source tree it
/// was bound from (for checks on what was written, such as the CRD's schema).
/// </summary>
public sealed record ParsedPolicy(PolicyDocument Document, ImmutableArray<FieldError> Findings, Source.SourceNode? Source = null);
