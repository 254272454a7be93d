using System.Text.Json;
using Membrane.Api;

namespace Membrane.Cli.Output;

/// <summary>
/// One monitor event as one line in the shape of Hubble's flow JSON (<c>hubble observe -o json</c>), so that tools
/// written for it can read Membrane's: time, verdict, drop_reason_desc, IP, l4 (with ICMPv4/ICMPv6 type and code),
/// source and destination (identity, namespace, labels, pod_name), traffic_direction, is_reply and Summary.
/// </summary>
public static class HubbleFlowWriter
{
    public static string Line(MonitorEvent e)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("time", e.Time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            if (e.Type == MonitorEvent.TypeSuppressed)
            {
                json.WriteString("type", "LOST_EVENTS");
                json.WriteNumber("num_events_lost", e.Suppressed);
                json.WriteString("Summary", e.Summary);
                json.WriteEndObject();
            }
            else
            {
                json.WriteString("verdict", e.Verdict);
                if (e.Verdict == "DROPPED")
                {
                    json.WriteString("drop_reason_desc", e.Reason.ToUpperInvariant().Replace(' ', '_'));
                }

                json.WriteString("type", e.Type == MonitorEvent.TypeDrop ? "L3_L4" : "POLICY_VERDICT");
                if (e.SourceIp is not null)
                {
                    json.WriteStartObject("IP");
                    json.WriteString("source", e.SourceIp);
                    json.WriteString("destination", e.DestinationIp);
                    json.WriteString("ipVersion", e.SourceIp.Contains(':', StringComparison.Ordinal) ? "IPv6" : "IPv4");
                    json.WriteEndObject();
                }

                WriteL4(json, e);
                WritePeer(json, "source", e.Source);
                WritePeer(json, "destination", e.Destination);
                json.WriteString("traffic_direction", e.Direction.ToUpperInvariant());
                json.WriteBoolean("is_reply", e.IsReply);
                json.WriteString("Summary", e.Summary);
                json.WriteEndObject();
            }
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteL4(Utf8JsonWriter json, MonitorEvent e)
    {
        json.WriteStartObject("l4");
        if (e.IcmpType is { } type)
        {
            json.WriteStartObject(e.Protocol == "ICMPv6" ? "ICMPv6" : "ICMPv4");
            json.WriteNumber("type", type);
            json.WriteNumber("code", e.IcmpCode ?? 0);
            json.WriteEndObject();
        }
        else if (e.SourcePort is { } source)
        {
            json.WriteStartObject(e.Protocol);
            json.WriteNumber("source_port", source);
            json.WriteNumber("destination_port", e.DestinationPort ?? 0);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WritePeer(Utf8JsonWriter json, string name, MonitorPeer? peer)
    {
        json.WriteStartObject(name);
        if (peer is not null)
        {
            json.WriteNumber("identity", peer.Identity);
            if (peer.Namespace is not null)
            {
                json.WriteString("namespace", peer.Namespace);
            }

            json.WriteStartArray("labels");
            foreach (var label in peer.Labels)
            {
                json.WriteStringValue(label);
            }

            json.WriteEndArray();
            if (peer.Name is not null)
            {
                json.WriteString("pod_name", peer.Name);
            }
        }

        json.WriteEndObject();
    }
}
