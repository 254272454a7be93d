namespace Membrane.Api;

/// <summary>
/// <c>POST /v1/endpoints</c>: labels as <c>k8s:app=web,k8s:tier=front</c>; <see cref="Netns"/> adopts an existing named
/// namespace; <see cref="Ports"/> names its ports as a pod's container ports do (<c>{"http": "8080/TCP"}</c>), for rules
/// that name them.
/// </summary>
public sealed record EndpointCreateRequest(
    string Name, string Labels, string Namespace = "default", string? Netns = null, Dictionary<string, string>? Ports = null);
