using System.Collections.Immutable;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Model;

namespace Membrane.Policy.Engine.Service;

/// <summary>One policy held by the repository: what was written, and the rules compiled from it.</summary>
public sealed record PolicyResource(ResourceKey Key, PolicyDocument Document, ImmutableArray<SubjectRule> Rules);
