using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Source;

namespace Membrane.Policy.Reading;

/// <summary>
/// Reads policy files: YAML with one or many documents, <c>kind: List</c>, JSON objects, and bare
/// JSON arrays of Cilium rules. Objects of other kinds (a Deployment next to its policy) are
/// skipped with a note. Nothing here checks what the values mean; that is validation's job.
/// </summary>
public static class PolicyReader
{
    public const string CiliumApiVersion = "cilium.io/v2";
    public const string NetworkingApiVersion = "networking.k8s.io/v1";

    private static readonly string[] PolicyKinds = ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy"];

    /// <summary>Reads a file's text. The format follows the extension, else the first character.</summary>
    public static PolicyReadResult Read(string file, string text, SourceFormat? format = null, SourceLimits? limits = null) =>
        Read(file, text, format, limits, firstLine: 1, noteEmpty: true);

    /// <summary>
    /// Reads part of a YAML stream (one of <see cref="YamlStreamSplitter"/>'s chunks) that starts at
    /// line <paramref name="firstLine"/>; an empty part gets no "holds no documents" note, since the
    /// file as a whole may hold some.
    /// </summary>
    public static PolicyReadResult Read(string file, string text, SourceFormat? format, SourceLimits? limits, int firstLine, bool noteEmpty)
    {
        format ??= DetectFormat(file, text);
        var policies = ImmutableArray.CreateBuilder<ParsedPolicy>();
        var fileFindings = new DiagnosticBag();

        // Documents before a syntax error are read and reported too, but the file as a whole is
        // invalid, so nothing from it will be applied.
        var source = SourceReader.Read(file, text, format.Value, limits, firstLine);
        fileFindings.Items.AddRange(source.Findings);
        foreach (var document in source.Documents)
        {
            var first = policies.Count;
            ReadRoot(document.Root, "", policies, fileFindings);
            AssignToPolicies(document.Findings, policies, first, fileFindings);
        }

        if (noteEmpty && policies.Count == 0 && fileFindings.Items.Count == 0)
        {
            fileFindings.Note(FieldErrorKind.Skipped, "", new SourcePosition(file, 0, 0), "the file holds no documents", code: "MBR1037");
        }

        return new PolicyReadResult(file, policies.ToImmutable(), [.. fileFindings.Items]);
    }

    /// <summary>
    /// Gives each of a document's findings to the policy it lies in (the one whose path prefix is
    /// the longest prefix of the finding's path), so the policy is known to be invalid; findings
    /// outside every policy stay with the file.
    /// </summary>
    private static void AssignToPolicies(ImmutableArray<FieldError> findings, ImmutableArray<ParsedPolicy>.Builder policies, int first, DiagnosticBag fileFindings)
    {
        if (findings.IsEmpty)
        {
            return;
        }

        // Each policy by its path prefix, so a finding finds its owner by its own path's prefixes
        // instead of by a scan of every policy of the document (a List may hold thousands).
        var byPrefix = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = first; i < policies.Count; i++)
        {
            byPrefix.TryAdd(policies[i].Document.PathPrefix, i);
        }

        // Gathered per policy and added once: one Add per finding would copy the array each time.
        var owned = new Dictionary<int, List<FieldError>>();
        foreach (var finding in findings)
        {
            var owner = OwnerOf(finding.Path, byPrefix);
            if (owner < 0)
            {
                fileFindings.Items.Add(finding);
            }
            else
            {
                (owned.TryGetValue(owner, out var list) ? list : owned[owner] = []).Add(finding);
            }
        }

        foreach (var (owner, list) in owned)
        {
            policies[owner] = policies[owner] with { Findings = policies[owner].Findings.AddRange(list) };
        }
    }

    /// <summary>The policy whose prefix is the longest prefix of <paramref name="path"/> ending at a field or index boundary, or -1.</summary>
    private static int OwnerOf(string path, Dictionary<string, int> byPrefix)
    {
        for (var end = path.Length; end > 0; end--)
        {
            if ((end == path.Length || path[end] is '.' or '[') && byPrefix.TryGetValue(path[..end], out var owner))
            {
                return owner;
            }
        }

        return byPrefix.TryGetValue("", out var root) ? root : -1;
    }

    public static SourceFormat DetectFormat(string file, string text)
    {
        if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return SourceFormat.Json;
        }

        if (file.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
        {
            return SourceFormat.Yaml;
        }

        var first = text.AsSpan().TrimStart();
        return first.Length > 0 && first[0] is '{' or '[' ? SourceFormat.Json : SourceFormat.Yaml;
    }

    private static void ReadRoot(SourceNode root, string path, ImmutableArray<ParsedPolicy>.Builder policies, DiagnosticBag fileFindings)
    {
        switch (root)
        {
            case SourceSequence sequence:
                // A bare array of Cilium rules, the form `cilium policy import` takes.
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    var itemPath = FieldPath.Index(path, i);
                    var bag = new DiagnosticBag();
                    var rule = MappingReader.ObjectOf(sequence.Items[i], PathRef.Of(itemPath), bag, CiliumRuleBinder.BindRule);
                    if (rule is null)
                    {
                        fileFindings.Items.AddRange(bag.Items);
                        if (bag.Items.Count == 0)
                        {
                            fileFindings.Error(FieldErrorKind.Invalid, itemPath, sequence.Items[i].Position, "a rule must be an object, found null", code: "MBR1038");
                        }

                        continue;
                    }

                    var document = new CiliumPolicy { PolicyKind = PolicyKind.CiliumRule, Spec = rule, PathPrefix = itemPath, Position = rule.Position };
                    policies.Add(new ParsedPolicy(document, [.. bag.Items], sequence.Items[i]));
                }

                break;

            case SourceMapping mapping:
                ReadObject(mapping, path, policies, fileFindings);
                break;

            default:
                fileFindings.Error(FieldErrorKind.Invalid, path, root.Position, $"a policy document must be an object or a list of rules, found {root.ShapeName}", code: "MBR1039");
                break;
        }
    }

    private static void ReadObject(SourceMapping mapping, string path, ImmutableArray<ParsedPolicy>.Builder policies, DiagnosticBag fileFindings)
    {
        // An object whose kind or apiVersion is written twice (or twice in different cases, which
        // Go's case-insensitive decoder merges) has no single meaning: classifying it by either
        // could skip a policy as a Deployment. The reader has reported exact duplicates already.
        if (RepeatedKey(mapping, "kind", path, fileFindings) | RepeatedKey(mapping, "apiVersion", path, fileFindings))
        {
            return;
        }

        var bag = new DiagnosticBag();
        var r = new MappingReader(mapping, path, bag);
        var kind = r.Scalar("kind");
        var apiVersion = r.String("apiVersion", strict: true);
        if (kind is { } k && (k.Kind != ScalarKind.String || k.Text.Length == 0))
        {
            fileFindings.Error(k.Text.Length == 0 ? FieldErrorKind.Required : FieldErrorKind.Invalid, FieldPath.Child(path, "kind"), k.Position,
                k.Text.Length == 0 ? "kind is empty; every object needs a kind" : $"kind must be a string, found {KindName(k.Kind)}", k.Text.Length == 0 ? null : k.Text,
                hint: "write kind: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy or NetworkPolicy", code: "MBR1040");
            return;
        }

        switch (kind?.Text)
        {
            case "CiliumNetworkPolicy" or "CiliumClusterwideNetworkPolicy":
                policies.Add(new ParsedPolicy(BindCiliumPolicy(r, kind.Value, apiVersion, path), [.. bag.Items], mapping));
                return;

            case "NetworkPolicy":
                // Kubernetes' own types are decoded strictly: a number is no string there.
                bag.StrictTypes = true;
                var networkPolicy = new NetworkPolicy
                {
                    Position = r.Position,
                    PathPrefix = path,
                    ApiVersion = apiVersion,
                    Metadata = r.Object("metadata", MetadataBinder.Bind),
                    Spec = r.Object("spec", NetworkPolicyBinder.BindSpec),
                };
                r.Ignore("status");
                r.Complete();
                policies.Add(new ParsedPolicy(networkPolicy, [.. bag.Items], mapping));
                return;

            case "List" or "CiliumNetworkPolicyList" or "CiliumClusterwideNetworkPolicyList" or "NetworkPolicyList":
                var items = r.Has("items") ? mapping["items"] : null;
                r.Ignore("items", "metadata");
                r.Complete();
                fileFindings.Items.AddRange(bag.Items);
                if (items is SourceSequence sequence)
                {
                    for (var i = 0; i < sequence.Items.Count; i++)
                    {
                        var itemPath = FieldPath.Index(FieldPath.Child(path, "items"), i);
                        if (sequence.Items[i] is SourceMapping item)
                        {
                            ReadObject(item, itemPath, policies, fileFindings);
                        }
                        else
                        {
                            fileFindings.Error(FieldErrorKind.Invalid, itemPath, sequence.Items[i].Position, $"a list item must be an object, found {sequence.Items[i].ShapeName}", code: "MBR1041");
                        }
                    }
                }
                else if (items is not null and not SourceScalar { IsNull: true })
                {
                    fileFindings.Error(FieldErrorKind.Invalid, FieldPath.Child(path, "items"), items.Position, $"must be a list, found {items.ShapeName}", code: "MBR1042");
                }

                return;

            case null when IsBareRule(mapping):
                var rule = CiliumRuleBinder.BindRule(new MappingReader(mapping, path, bag));
                policies.Add(new ParsedPolicy(new CiliumPolicy { PolicyKind = PolicyKind.CiliumRule, Spec = rule, PathPrefix = path, Position = rule.Position }, [.. bag.Items], mapping));
                return;

            case null:
                fileFindings.Error(FieldErrorKind.Required, FieldPath.Child(path, "kind"), mapping.Position,
                    "every object needs a kind", hint: "write kind: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy or NetworkPolicy", code: "MBR1043");
                return;

            default:
                // A kind one edit away from a policy kind is a typo, not a manifest to skip: skipping
                // it would silently leave the policy out.
                if (NameSuggester.Suggest(kind.Value.Text, PolicyKinds, maxDistance: 2) is { } meant)
                {
                    fileFindings.Error(FieldErrorKind.NotSupported, FieldPath.Child(path, "kind"), kind.Value.Position,
                        "not a kind of network policy", kind.Value.Text, $"did you mean \"{meant}\"?", code: "MBR1044");
                    return;
                }

                var name = mapping["metadata"] is SourceMapping meta && meta["name"] is SourceScalar n ? $" \"{n.Text}\"" : "";
                var version = apiVersion is { } v ? $" ({v.Text})" : "";
                fileFindings.Note(FieldErrorKind.Skipped, path, mapping.Position, $"skipped {kind.Value.Text}{name}{version}: not a network policy", code: "MBR1045");
                return;
        }
    }

    /// <summary>Reports a key written more than once when case is ignored; true when it was.</summary>
    private static bool RepeatedKey(SourceMapping mapping, string key, string path, DiagnosticBag findings)
    {
        SourceScalar? first = null;
        var repeated = false;
        foreach (var (written, _) in mapping.Entries)
        {
            if (!string.Equals(written.Text, key, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (first is null)
            {
                first = written;
                continue;
            }

            repeated = true;
            if (written.Text != first.Text)
            {
                findings.Error(FieldErrorKind.Duplicate, FieldPath.Child(path, written.Text), written.Position,
                    $"the key repeats \"{first.Text}\" at line {first.Position.Line} in another case; Go's decoder, which Cilium uses, takes either", written.Text, code: "MBR1046");
            }
        }

        return repeated;
    }

    private static string KindName(ScalarKind kind) => kind switch
    {
        ScalarKind.Number => "a number",
        ScalarKind.Boolean => "a boolean",
        _ => "null",
    };

    private static CiliumPolicy BindCiliumPolicy(MappingReader r, Scalar kind, Scalar? apiVersion, string path)
    {
        var policy = new CiliumPolicy
        {
            Position = r.Position,
            PathPrefix = path,
            PolicyKind = kind.Text == "CiliumNetworkPolicy" ? PolicyKind.CiliumNetworkPolicy : PolicyKind.CiliumClusterwideNetworkPolicy,
            ApiVersion = apiVersion,
            Metadata = r.Object("metadata", MetadataBinder.Bind),
            Spec = r.Object("spec", CiliumRuleBinder.BindRule),
            Specs = r.ObjectList("specs", CiliumRuleBinder.BindRule),
            TopLevelDescription = r.String("description"),
        };
        r.Ignore("status");
        r.Complete();
        return policy;
    }

    /// <summary>
    /// A mapping without a kind is a bare rule when it has rule fields and no object fields; with
    /// apiVersion or metadata it is an object that forgot its kind, which is an error.
    /// </summary>
    private static bool IsBareRule(SourceMapping mapping) =>
        mapping.Entries.Any(e => e.Key.Text is "endpointSelector" or "nodeSelector" or "ingress" or "egress" or "ingressDeny" or "egressDeny")
        && !mapping.Entries.Any(e => e.Key.Text is "apiVersion" or "metadata" or "spec");
}
