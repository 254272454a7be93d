using System.Text.Json.Serialization;

namespace Membrane.Cluster;

/// <summary>The JSON of the cluster's values, compiled ahead (no reflection), camelCase as Kubernetes writes its objects.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(NodeRecord))]
[JsonSerializable(typeof(IpcacheRecord))]
public sealed partial class ClusterJsonContext : JsonSerializerContext;
