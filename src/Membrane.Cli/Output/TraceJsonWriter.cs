using System.Text.Json;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Engine.Tracing;

namespace Membrane.Cli.Output;

/// <summary>The same content as the text trace, as one JSON document; and the identity and rule shapes <c>policy resolve</c> shares.</summary>
public static class TraceJsonWriter
{
    /// <summary>The trace as the agent's API gives it (<see cref="Membrane.Api.TraceReport"/>): one shape, offline or live.</summary>
    public static void Write(Membrane.Api.TraceReport report, TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(report, Membrane.Api.ApiJsonContext.Default.TraceReport));

    internal static void WriteIdentity(Utf8JsonWriter json, string name, Identity identity, System.Net.IPAddress? address = null)
    {
        json.WriteStartObject(name);
        if (address is not null)
        {
            json.WriteString("address", address.ToString());
        }

        json.WriteNumber("id", identity.Id);
        json.WriteStartArray("labels");
        foreach (var label in identity.Labels.Labels)
        {
            json.WriteStringValue(label.ToString());
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    internal static void WriteOrigins(Utf8JsonWriter json, string name, IEnumerable<RuleOrigin> origins)
    {
        json.WriteStartArray(name);
        foreach (var origin in origins)
        {
            json.WriteStartObject();
            json.WriteString("kind", origin.Kind);
            json.WriteString("namespace", origin.Namespace);
            json.WriteString("name", origin.Name);
            json.WriteString("path", origin.Path);
            json.WriteString("file", origin.Position.File);
            json.WriteNumber("line", origin.Position.Line);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
