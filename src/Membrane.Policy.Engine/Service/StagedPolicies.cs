using Membrane.Policy.Validation;

namespace Membrane.Policy.Engine.Service;

/// <summary>
/// A change of policies validated and compiled but not yet made (<see cref="PolicyService.Stage"/>): the resources
/// it puts and the keys it removes. An agent makes it in steps (<see cref="PolicyService.AddCidrsFor"/>, then
/// <see cref="PolicyService.Commit"/>, then <see cref="PolicyService.ReleaseUnnamedCidrs"/>) so that the kernel can follow
/// each step safely; <see cref="PolicyService.Load"/> makes it at once.
/// </summary>
public sealed record StagedPolicies(ValidationReport Report, bool IsValid, IReadOnlyList<PolicyResource> Put, IReadOnlyList<ResourceKey> Remove);
