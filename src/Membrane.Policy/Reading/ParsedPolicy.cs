using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;

namespace Membrane.Policy.Reading;

/// <summary>A policy as read from a file, with what the reader found wrong with it.</summary>
public sealed record ParsedPolicy(PolicyDocument Document, ImmutableArray<FieldError> Findings);
