using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Reading;
using Membrane.Policy.Source;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Identities;

/// <summary>
/// Reads the identities a node knows from YAML, through the same source reader as policies:
/// <code>
/// identities:
/// - labels: [k8s:app=web, k8s:io.kubernetes.pod.namespace=shop]   # or "k8s:app=web,..." or {app: web}
///   id: 1001                      # optional; allocated from 256 when absent
///   ips: [10.0.1.5, fd00::1:5]    # optional; addresses the IP cache maps to this identity
///   namedPorts: {http: 8080/TCP}  # optional; ports toPorts may name
/// </code>
/// Every error is reported, each with its position and field path, and nothing is added to the set
/// unless the whole file is valid: a trace over half an identities file could give an answer the
/// full file would not. An identity is its labels and, for the IP cache, its addresses, so anything
/// that would let one label set, number or address stand for two identities is refused.
/// </summary>
public static class IdentityFile
{
    private static readonly string[] RootFields = ["identities"];
    private static readonly string[] IdentityFields = ["labels", "id", "ips", "namedPorts"];

    /// <summary>
    /// Reads <paramref name="text"/> and, if it has no errors, adds its identities to
    /// <paramref name="into"/>. Returns the findings (none when the file is valid). Identities with
    /// an <c>id</c> are added first, so that numbers allocated to the others never take one the
    /// file gives later.
    /// </summary>
    public static ImmutableArray<FieldError> Load(string file, string text, IdentitySet into, SourceLimits? limits = null)
    {
        limits ??= SourceLimits.Default;
        var read = YamlSourceReader.Read(file, text, limits);
        var findings = new DiagnosticBag();
        foreach (var document in read.Documents)
        {
            findings.Items.AddRange(document.Findings);
        }

        findings.Items.AddRange(read.Findings);
        var entries = read.Documents.IsEmpty ? [] : ReadRoot(read.Documents[0].Root, findings);
        if (read.Documents.Length > 1)
        {
            findings.Error(FieldErrorKind.Forbidden, "", read.Documents[1].Root.Position,
                "a second YAML document; an identities file is one document with one identities list", code: "MBR7001");
        }

        CheckUnique(entries, into, findings);
        if (!findings.HasErrors)
        {
            foreach (var entry in entries.Where(e => e.Id is not null).Concat(entries.Where(e => e.Id is null)))
            {
                into.AddEndpoint(entry.Labels!, entry.Id, entry.Addresses.Select(a => a.Address), entry.NamedPorts);
            }
        }

        return Bounded(findings.Items, limits.MaxFindings, file);
    }

    private static List<Entry> ReadRoot(SourceNode root, DiagnosticBag findings)
    {
        if (root is SourceScalar { IsNull: true })
        {
            return [];
        }

        if (root is not SourceMapping mapping)
        {
            findings.Error(FieldErrorKind.Invalid, "", root.Position, $"an identities file is an object with an identities list, found {root.ShapeName}", code: "MBR7002");
            return [];
        }

        var suggested = ReportUnknown(mapping, "", RootFields, findings);
        if (mapping["identities"] is not { } list)
        {
            // A misspelt key has its did-you-mean already; "required" on top would be a second error for one mistake.
            if (suggested.Contains("identities"))
            {
                return [];
            }

            findings.Error(FieldErrorKind.Required, "identities", mapping.Position, "an identities file is an object with an identities list", code: "MBR7003");
            return [];
        }

        if (list is SourceScalar { IsNull: true })
        {
            return [];
        }

        if (list is not SourceSequence items)
        {
            findings.Error(FieldErrorKind.Invalid, "identities", list.Position, $"must be a list, found {list.ShapeName}", code: "MBR7004");
            return [];
        }

        var entries = new List<Entry>(items.Items.Count);
        for (var i = 0; i < items.Items.Count; i++)
        {
            if (ReadIdentity(items.Items[i], $"identities[{i}]", findings) is { } entry)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>
    /// One identity, with what of it could be read (labels null if they could not), so that the
    /// uniqueness checks still see it; null if it is not even an object.
    /// </summary>
    private static Entry? ReadIdentity(SourceNode node, string path, DiagnosticBag findings)
    {
        if (node is not SourceMapping item)
        {
            findings.Error(FieldErrorKind.Invalid, path, node.Position, $"must be an object with labels, found {node.ShapeName}", code: "MBR7005");
            return null;
        }

        var suggested = ReportUnknown(item, path, IdentityFields, findings);
        var labelsNode = item["labels"];
        var labels = labelsNode is null ? null : ReadLabels(labelsNode, FieldPath.Child(path, "labels"), findings);
        if (labelsNode is null && !suggested.Contains("labels"))
        {
            findings.Error(FieldErrorKind.Required, FieldPath.Child(path, "labels"), item.Position, "an identity needs labels, like [k8s:app=web]", code: "MBR7006");
        }

        var id = item["id"] is { } idNode ? ReadId(idNode, FieldPath.Child(path, "id"), findings) : null;
        var addresses = item["ips"] is { } ipsNode ? ReadAddresses(ipsNode, FieldPath.Child(path, "ips"), findings) : [];
        var namedPorts = item["namedPorts"] is { } portsNode ? ReadNamedPorts(portsNode, FieldPath.Child(path, "namedPorts"), findings) : [];
        return new Entry(path, labelsNode?.Position ?? item.Position, labels, id, item["id"]?.Position ?? item.Position, addresses, namedPorts);
    }

    /// <summary>A list of labels, one comma-separated string, or a map of key: value.</summary>
    private static LabelSet? ReadLabels(SourceNode node, string path, DiagnosticBag findings)
    {
        var labels = new List<Label>();
        var valid = true;
        switch (node)
        {
            case SourceScalar { Kind: ScalarKind.String } scalar:
                if (!LabelSet.TryParse(scalar.Text, out var parsed, out var error))
                {
                    findings.Error(scalar.Text.Trim(',').Length == 0 ? FieldErrorKind.Required : FieldErrorKind.Invalid,
                        path, scalar.Position, error, code: "MBR7007");
                    return null;
                }

                return parsed;
            case SourceSequence sequence:
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    valid &= TryLabel(sequence.Items[i], null, FieldPath.Index(path, i), labels, findings);
                }

                break;
            case SourceMapping mapping:
                foreach (var (key, value) in mapping.Entries)
                {
                    // A key that would print as something else (a control character, a zero-width space) is
                    // named in the path escaped and quoted, as the error names it.
                    var keyPath = key.Text.All(c => c is > ' ' and <= '~') ? FieldPath.Child(path, key.Text) : $"{path}[{LabelSyntax.Quote(key.Text)}]";
                    valid &= TryLabel(value, key.Text, keyPath, labels, findings);
                }

                break;
            case SourceScalar { IsNull: true }:
                break;
            default:
                findings.Error(FieldErrorKind.Invalid, path, node.Position, $"must be a list of source:key=value labels, found {node.ShapeName}", code: "MBR7008");
                return null;
        }

        if (!valid)
        {
            return null;
        }

        if (!LabelSet.TryCreate(labels, out var set, out var setError))
        {
            findings.Error(labels.Count == 0 ? FieldErrorKind.Required : FieldErrorKind.Invalid, path, node.Position, setError, code: "MBR7009");
            return null;
        }

        return set;
    }

    /// <summary>
    /// One label: <c>source:key=value</c> in a list, or a value under its key in a map, as <see cref="LabelSyntax"/>
    /// reads labels from the API and the CLI too. Its error names the label, escaped, so the finding carries no bad
    /// value of its own: a raw one would print a zero-width space or a bidirectional override as it is.
    /// </summary>
    private static bool TryLabel(SourceNode node, string? key, string path, List<Label> into, DiagnosticBag findings)
    {
        // A label value is a string, as Kubernetes has it: `app: true` or `app: 1` would reach
        // the API server as a boolean or a number, which it refuses in a label.
        if (node is not SourceScalar { Kind: ScalarKind.String } scalar)
        {
            findings.Error(FieldErrorKind.Invalid, path, node.Position, $"a label must be a string, found {node.ShapeName}",
                hint: node is SourceScalar { IsNull: false } ? "quote it" : null, code: "MBR7010");
            return false;
        }

        var text = key is null ? scalar.Text : $"{key}={scalar.Text}";
        var parsed = key is null ? LabelSyntax.TryParse(scalar.Text, out var label, out var error) : LabelSyntax.TryCreate(key, scalar.Text, out label, out error);
        if (!parsed)
        {
            findings.Error(FieldErrorKind.Invalid, path, scalar.Position, error, code: "MBR7011");
            return false;
        }

        if (label.Source is Label.SourceReserved or Label.SourceCidr)
        {
            findings.Error(FieldErrorKind.Forbidden, path, scalar.Position,
                $"{label.Source}: labels belong to the identities Membrane makes itself (reserved and CIDR identities), not to endpoints", text, code: "MBR7012");
            return false;
        }

        into.Add(label);
        return true;
    }

    private static uint? ReadId(SourceNode node, string path, DiagnosticBag findings)
    {
        if (node is not SourceScalar { Kind: ScalarKind.Number } scalar
            || !uint.TryParse(scalar.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || (scalar.Text.Length > 1 && scalar.Text[0] == '0'))
        {
            var found = node is SourceScalar { Kind: ScalarKind.Number } number ? $"\"{number.Text}\"" : node.ShapeName;
            findings.Error(FieldErrorKind.Invalid, path, node.Position, $"an identity number is a decimal number from {Identity.FirstEndpoint} to {Identity.FirstCidr - 1}, found {found}", code: "MBR7013");
            return null;
        }

        if (!IdentitySet.IsEndpointNumber(id))
        {
            findings.Error(FieldErrorKind.Invalid, path, node.Position, IdentitySet.EndpointRange(id), scalar.Text, code: "MBR7014");
            return null;
        }

        return id;
    }

    private static List<(IPAddress Address, SourcePosition Position, string Path)> ReadAddresses(SourceNode node, string path, DiagnosticBag findings)
    {
        var addresses = new List<(IPAddress, SourcePosition, string)>();
        if (node is SourceScalar { IsNull: true })
        {
            return addresses;
        }

        if (node is not SourceSequence sequence)
        {
            findings.Error(FieldErrorKind.Invalid, path, node.Position, $"must be a list of addresses, found {node.ShapeName}",
                hint: node is SourceScalar ? "write one address as [10.0.0.1]" : null, code: "MBR7015");
            return addresses;
        }

        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = sequence.Items[i];
            var itemPath = FieldPath.Index(path, i);
            if (item is not SourceScalar { IsNull: false } scalar)
            {
                findings.Error(FieldErrorKind.Invalid, itemPath, item.Position, $"must be an IP address, found {item.ShapeName}", code: "MBR7016");
            }
            else if (!IpAddressText.TryParse(scalar.Text, out var address, out var error))
            {
                findings.Error(FieldErrorKind.Invalid, itemPath, item.Position, $"not an IP address: {error}", scalar.Text, code: "MBR7017");
            }
            else
            {
                addresses.Add((address, item.Position, itemPath));
            }
        }

        return addresses;
    }

    private static Dictionary<string, NamedPort> ReadNamedPorts(SourceNode node, string path, DiagnosticBag findings)
    {
        var ports = new Dictionary<string, NamedPort>();
        if (node is SourceScalar { IsNull: true })
        {
            return ports;
        }

        if (node is not SourceMapping mapping)
        {
            findings.Error(FieldErrorKind.Invalid, path, node.Position, $"must be an object of name: PORT/PROTOCOL, like {{http: 8080/TCP}}, found {node.ShapeName}", code: "MBR7018");
            return ports;
        }

        foreach (var (key, value) in mapping.Entries)
        {
            var portPath = FieldPath.Child(path, key.Text);
            if (!NamedPort.IsValidName(key.Text, out var nameError))
            {
                findings.Error(FieldErrorKind.Invalid, portPath, key.Position, nameError, key.Text, code: "MBR7019");
            }
            else if (value is not SourceScalar { Kind: ScalarKind.String } scalar || !NamedPort.TryParse(scalar.Text, out var port, out var error))
            {
                var written = value is SourceScalar { IsNull: false } shown ? shown.Text : null;
                findings.Error(FieldErrorKind.Invalid, portPath, value.Position,
                    written is null ? $"a named port is PORT/PROTOCOL, like 8080/TCP, found {value.ShapeName}" : ErrorOf(written), written, code: "MBR7020");
            }
            else
            {
                ports.TryAdd(key.Text, port);
            }
        }

        return ports;

        static string ErrorOf(string text) => NamedPort.TryParse(text, out _, out var error) ? "" : error;
    }

    /// <summary>No two identities share labels, a number or an address, in the file or with the set.</summary>
    private static void CheckUnique(List<Entry> entries, IdentitySet into, DiagnosticBag findings)
    {
        var byLabels = new Dictionary<LabelSet, Entry>();
        var byId = new Dictionary<uint, Entry>();
        var byAddress = new Dictionary<IPAddress, string>();
        foreach (var entry in entries)
        {
            CheckUniqueLabels(entry, into, byLabels, findings);
            if (entry.Id is { } id)
            {
                var idPath = FieldPath.Child(entry.Path, "id");
                if (byId.TryGetValue(id, out var holder))
                {
                    findings.Error(FieldErrorKind.Duplicate, idPath, entry.IdPosition, $"the same number as {holder.Path} (line {holder.IdPosition.Line})", id.ToString(CultureInfo.InvariantCulture), code: "MBR7021");
                }
                else if (into[id] is { } taken)
                {
                    findings.Error(FieldErrorKind.Duplicate, idPath, entry.IdPosition, $"identity {id} is already taken by {taken.Labels}", id.ToString(CultureInfo.InvariantCulture), code: "MBR7022");
                }
                else
                {
                    byId[id] = entry;
                }
            }

            CheckUniqueAddresses(entry, into, byAddress, findings);
        }
    }

    private static void CheckUniqueLabels(Entry entry, IdentitySet into, Dictionary<LabelSet, Entry> byLabels, DiagnosticBag findings)
    {
        if (entry.Labels is null)
        {
            return;
        }

        // Compare the labels the identity will have, so that writing the namespace-name label
        // Membrane adds does not make a second identity out of the same pod.
        var canonical = IdentitySet.WithNamespaceName(entry.Labels);
        var labelsPath = FieldPath.Child(entry.Path, "labels");
        if (byLabels.TryGetValue(canonical, out var first))
        {
            findings.Error(FieldErrorKind.Duplicate, labelsPath, entry.LabelsPosition, $"the same labels as {first.Path} (line {first.LabelsPosition.Line})", entry.Labels.ToString(), code: "MBR7023");
        }
        else if ((into.Find(entry.Labels) ?? into.Find(canonical)) is { } known)
        {
            findings.Error(FieldErrorKind.Duplicate, labelsPath, entry.LabelsPosition, $"the labels of identity {known.Id}, which the node already has", entry.Labels.ToString(), code: "MBR7024");
        }
        else
        {
            byLabels[canonical] = entry;
        }
    }

    private static void CheckUniqueAddresses(Entry entry, IdentitySet into, Dictionary<IPAddress, string> byAddress, DiagnosticBag findings)
    {
        foreach (var (address, position, path) in entry.Addresses)
        {
            if (byAddress.TryGetValue(address, out var owner))
            {
                var where = owner.StartsWith(entry.Path + ".", StringComparison.Ordinal) ? "this identity has it already at " + owner : "it is already the address of " + owner;
                findings.Error(FieldErrorKind.Duplicate, path, position, $"{where}; the IP cache maps an address to one identity", address.ToString(), code: "MBR7025");
            }
            else if (into.FindByAddress(address) is { } known)
            {
                findings.Error(FieldErrorKind.Duplicate, path, position, $"it is already the address of identity {known.Id}; the IP cache maps an address to one identity", address.ToString(), code: "MBR7026");
            }
            else
            {
                byAddress[address] = path;
            }
        }
    }

    /// <summary>At most <paramref name="max"/> findings, then one that counts the rest.</summary>
    private static ImmutableArray<FieldError> Bounded(List<FieldError> unordered, int max, string file)
    {
        // In file order: the uniqueness checks run after every identity is read.
        var findings = unordered.OrderBy(f => f.Position.Line).ThenBy(f => f.Position.Column).ToList();
        if (findings.Count <= max)
        {
            return [.. findings];
        }

        var note = new FieldError
        {
            Code = "MBR7027",
            Severity = Severity.Note,
            Kind = FieldErrorKind.TooMany,
            Path = "",
            Position = new SourcePosition(file, 0, 0),
            Detail = $"{findings.Count - max} more errors not shown",
        };
        return [.. findings.Take(max), note];
    }

    /// <summary>Reports keys that are not fields; returns the fields suggested for them.</summary>
    private static List<string> ReportUnknown(SourceMapping mapping, string path, string[] known, DiagnosticBag findings)
    {
        var suggested = new List<string>();
        foreach (var (key, _) in mapping.Entries)
        {
            if (!known.Contains(key.Text))
            {
                if (NameSuggester.Suggest(key.Text, known) is { } suggestion)
                {
                    suggested.Add(suggestion);
                }

                findings.Error(FieldErrorKind.UnknownField, FieldPath.Child(path, key.Text), key.Position,
                    $"not a field of {(path.Length == 0 ? "an identities file" : "an identity")}; {(path.Length == 0 ? "it has identities" : "an identity has labels, id, ips and namedPorts")}",
                    key.Text, NameSuggester.DidYouMean(key.Text, known), code: "MBR7028");
            }
        }

        return suggested;
    }

    private sealed record Entry(
        string Path,
        SourcePosition LabelsPosition,
        LabelSet? Labels,
        uint? Id,
        SourcePosition IdPosition,
        List<(IPAddress Address, SourcePosition Position, string Path)> Addresses,
        Dictionary<string, NamedPort> NamedPorts);
}
