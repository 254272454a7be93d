namespace Membrane.Api;

/// <summary>
/// <c>PATCH /v1/endpoints/{name}/labels</c>: <see cref="Set"/> adds labels (<c>k8s:app=web,tier=front</c>), replacing any
/// of the same source and key; <see cref="Remove"/> takes keys away (<c>[SOURCE:]KEY</c>). The answer is the endpoint
/// with its new labels and identity, enforced.
/// </summary>
public sealed record EndpointLabelRequest(string? Set = null, IReadOnlyList<string>? Remove = null);
