namespace Membrane.Api;

/// <summary>
/// <c>PATCH /v1/endpoints/{name}/labels</c> and <c>PATCH /v1/namespaces/{name}/labels</c>: <see cref="Set"/> adds labels
/// (<c>k8s:app=web,tier=front</c>), replacing any of the same key; <see cref="Remove"/> takes keys away
/// (<c>[SOURCE:]KEY</c>). The answer is what was changed, with its endpoints' new identities enforced.
/// </summary>
public sealed record LabelChangeRequest(string? Set = null, IReadOnlyList<string>? Remove = null);
