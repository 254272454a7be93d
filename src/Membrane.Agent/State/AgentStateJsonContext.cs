using System.Text.Json.Serialization;

namespace Membrane.Agent.State;

/// <summary>The state files' JSON, generated at build time (the agent runs as Native AOT, where reflection is not).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true, RespectRequiredConstructorParameters = true, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(EndpointState))]
[JsonSerializable(typeof(PolicyState))]
[JsonSerializable(typeof(NamespaceState))]
[JsonSerializable(typeof(RemoteState))]
public sealed partial class AgentStateJsonContext : JsonSerializerContext;
