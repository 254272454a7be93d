using System.Globalization;
using System.Net;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Values;
using YamlDotNet.RepresentationModel;

namespace Membrane.Policy.Engine.Identities;

/// <summary>
/// Reads the identities a node knows from YAML:
/// <code>
/// identities:
/// - labels: [k8s:app=web, k8s:io.kubernetes.pod.namespace=shop]   # or "k8s:app=web,..."
///   id: 1001                      # optional; allocated from 256 when absent
///   ips: [10.0.1.5, fd00::1:5]    # optional; addresses the IP cache maps to this identity
///   namedPorts: {http: 8080/TCP}  # optional; ports toPorts may name
/// </code>
/// Errors name the file, line and field.
/// </summary>
public static class IdentityFile
{
    public static void Load(string file, string text, IdentitySet into)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new FormatException($"{file}:{e.Start.Line}:{e.Start.Column}: not well-formed YAML: {e.Message}", e);
        }

        if (stream.Documents.Count == 0)
        {
            return;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root || !root.Children.TryGetValue("identities", out var list) || list is not YamlSequenceNode items)
        {
            throw new FormatException($"{file}:1:1: expected a mapping with an \"identities\" list");
        }

        for (var i = 0; i < items.Children.Count; i++)
        {
            var path = $"identities[{i}]";
            if (items.Children[i] is not YamlMappingNode item)
            {
                throw Error(file, items.Children[i], path, "must be an object with labels");
            }

            try
            {
                LoadItem(file, item, path, into);
            }
            catch (InvalidCastException)
            {
                throw Error(file, item, path, "has the wrong shape: labels is a list, ips a list of addresses, namedPorts a map of name: PORT/PROTOCOL, id a number");
            }
        }
    }

    private static void LoadItem(string file, YamlMappingNode item, string path, IdentitySet into)
    {
        {
            LabelSet? labels = null;
            uint? id = null;
            var addresses = new List<IPAddress>();
            var namedPorts = new Dictionary<string, NamedPort>();
            foreach (var (keyNode, value) in item.Children)
            {
                var key = ((YamlScalarNode)keyNode).Value;
                switch (key)
                {
                    case "labels":
                        labels = value switch
                        {
                            YamlScalarNode scalar => LabelSet.Parse(scalar.Value ?? ""),
                            YamlSequenceNode sequence => new LabelSet(sequence.Children.Select(c => Label.Parse(((YamlScalarNode)c).Value ?? ""))),
                            YamlMappingNode mapping => new LabelSet(mapping.Children.Select(kv => Label.Parse($"{((YamlScalarNode)kv.Key).Value}={((YamlScalarNode)kv.Value).Value}"))),
                            _ => throw Error(file, value, $"{path}.labels", "must be a list of source:key=value labels"),
                        };
                        break;
                    case "id":
                        id = uint.TryParse(((YamlScalarNode)value).Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                            ? number : throw Error(file, value, $"{path}.id", "must be a number");
                        break;
                    case "ips":
                        foreach (var ip in ((YamlSequenceNode)value).Children)
                        {
                            addresses.Add(IPAddress.TryParse(((YamlScalarNode)ip).Value, out var address)
                                ? address : throw Error(file, ip, $"{path}.ips", "is not an IP address"));
                        }

                        break;
                    case "namedPorts":
                        foreach (var (nameNode, portNode) in ((YamlMappingNode)value).Children)
                        {
                            var portText = ((YamlScalarNode)portNode).Value ?? "";
                            var parts = portText.Split('/');
                            if (!ushort.TryParse(parts[0], out var port) || !L4Protocols.TryParse(parts.Length > 1 ? parts[1] : "TCP", out var protocol))
                            {
                                throw Error(file, portNode, $"{path}.namedPorts", "a named port is PORT/PROTOCOL, like 8080/TCP");
                            }

                            namedPorts[((YamlScalarNode)nameNode).Value!.ToLowerInvariant()] = new NamedPort(port, protocol);
                        }

                        break;
                    default:
                        throw Error(file, keyNode, $"{path}.{key}", "unknown field; an identity has labels, id, ips and namedPorts");
                }
            }

            if (labels is null)
            {
                throw Error(file, item, $"{path}.labels", "an identity needs labels");
            }

            try
            {
                into.AddEndpoint(labels, id, addresses, namedPorts);
            }
            catch (ArgumentException e)
            {
                throw Error(file, item, path, e.Message);
            }
        }
    }

    private static FormatException Error(string file, YamlNode node, string path, string message) =>
        new($"{file}:{node.Start.Line}:{node.Start.Column}: {path}: {message}");
}
