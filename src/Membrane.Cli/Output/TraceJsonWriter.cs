using System.Text.Json;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Engine.Tracing;

namespace Membrane.Cli.Output;

/// <summary>The same content as the text trace, as one JSON document.</summary>
public static class TraceJsonWriter
{
    public static void Write(TraceResult result, TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("packet", result.L4.ToString());
            WriteIdentity(json, "source", result.Source, result.SourceAddress);
            WriteIdentity(json, "destination", result.Destination, result.DestinationAddress);
            json.WriteStartArray("notes");
            foreach (var note in result.Notes)
            {
                json.WriteStringValue(note);
            }

            json.WriteEndArray();
            WriteDecision(json, "egress", result.Egress);
            WriteDecision(json, "ingress", result.Ingress);
            json.WriteString("final", result.Final == Verdict.Allow ? "allowed" : "denied");
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

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

    private static void WriteDecision(Utf8JsonWriter json, string name, PolicyDecision? decision)
    {
        if (decision is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteString("verdict", decision.IsAllowed ? "allowed" : "denied");
        json.WriteString("reason", decision.Reason);
        json.WriteString("entry", decision.Key?.ToString());
        WriteOrigins(json, "rules", decision.Entry?.Origins ?? (IEnumerable<RuleOrigin>)decision.DefaultDenyOrigins);
        json.WriteBoolean("byDefault", decision.Entry is null);
        json.WriteEndObject();
    }
}
