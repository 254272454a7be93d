using System.Text.Json.Serialization;

namespace Membrane.Api;

/// <summary>The API's JSON, generated at build time: camelCase, no reflection, the same shapes for the agent and the CLI.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EndpointCreateRequest))]
[JsonSerializable(typeof(LabelChangeRequest))]
[JsonSerializable(typeof(NamespaceInfo))]
[JsonSerializable(typeof(List<NamespaceInfo>))]
[JsonSerializable(typeof(EndpointInfo))]
[JsonSerializable(typeof(List<EndpointInfo>))]
[JsonSerializable(typeof(PolicyImportRequest))]
[JsonSerializable(typeof(PolicyImportResponse))]
[JsonSerializable(typeof(PolicyListResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(ApiProblem))]
[JsonSerializable(typeof(MonitorEvent))]
[JsonSerializable(typeof(List<BpfPolicyEntry>))]
[JsonSerializable(typeof(List<ConntrackEntryInfo>))]
[JsonSerializable(typeof(List<IpcacheEntryInfo>))]
[JsonSerializable(typeof(TraceRequestBody))]
[JsonSerializable(typeof(TraceReport))]
[JsonSerializable(typeof(ClusterStatusResponse))]
[JsonSerializable(typeof(List<NodeInfo>))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
