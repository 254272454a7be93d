using System.Text.Json;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Values;

namespace Membrane.Cli.Output;

public static class MapStateJsonWriter
{
    public static void Write(Identity endpoint, EndpointMapState state, IdentitySet identities, TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            TraceJsonWriter.WriteIdentity(json, "endpoint", endpoint);
            json.WriteStartObject("defaults");
            json.WriteString("ingress", state.IngressDefaultDeny.IsEmpty ? "allow" : "deny");
            json.WriteString("egress", state.EgressDefaultDeny.IsEmpty ? "allow" : "deny");
            TraceJsonWriter.WriteOrigins(json, "ingressDenyRules", state.IngressDefaultDeny);
            TraceJsonWriter.WriteOrigins(json, "egressDenyRules", state.EgressDefaultDeny);
            json.WriteEndObject();
            json.WriteStartArray("entries");
            foreach (var (key, entry) in state.Entries.OrderBy(e => e.Key.Direction).ThenBy(e => e.Key.Identity).ThenBy(e => e.Key.Protocol).ThenBy(e => e.Key.Value).ThenBy(e => e.Key.PrefixLength))
            {
                json.WriteStartObject();
                json.WriteString("direction", key.Direction.ToString().ToLowerInvariant());
                if (key.Identity == PolicyKey.AnyIdentity)
                {
                    json.WriteNull("peer");
                }
                else
                {
                    json.WriteNumber("peer", key.Identity);
                }

                json.WriteString("peerLabels", key.Identity == PolicyKey.AnyIdentity ? null : identities[key.Identity]?.Labels.ToString());
                json.WriteString("protocol", IpProtocols.Name(key.Protocol));
                json.WriteNumber("value", key.Value);
                json.WriteNumber("prefixLength", key.PrefixLength);
                json.WriteString("match", MapStateTextWriter.L4(key));
                json.WriteString("verdict", entry.Verdict == Verdict.Allow ? "allow" : "deny");
                TraceJsonWriter.WriteOrigins(json, "rules", entry.Origins);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
