namespace Membrane.Api;

/// <summary><c>POST /v1/endpoints</c>: labels as <c>k8s:app=web,k8s:tier=front</c>; <see cref="Netns"/> adopts an existing named namespace.</summary>
public sealed record EndpointCreateRequest(string Name, string Labels, string Namespace = "default", string? Netns = null);
