using System.Text.Json.Serialization;

namespace Membrane.Agent.Cluster;

/// <summary>The JSON of the node's cluster file, generated at build time.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ClusterJoin.NodeFile))]
internal sealed partial class ClusterFileJsonContext : JsonSerializerContext;
