using System.Collections.Immutable;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Validation;

namespace Membrane.Policy.Engine.Service;

/// <summary>
/// What a load or a delete did: the validation report (with positions), whether it was applied
/// (nothing is applied when anything is invalid), the repository's revision after it, and the map
/// state delta of each endpoint whose state changed.
/// </summary>
public sealed record PolicyChange(ValidationReport Report, bool Applied, long Revision, ImmutableDictionary<uint, MapStateDelta> ChangedEndpoints);
