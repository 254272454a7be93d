using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Source;

namespace Membrane.Policy.Tests.Reading;

public sealed class PolicyReaderTests
{
    private const string Cnp = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata:
          name: a
        spec:
          endpointSelector:
            matchLabels:
              app: db
          ingress:
          - fromEndpoints:
            - matchLabels:
                app: web
            icmps:
            - fields:
              - type: 8
        """;

    [Fact]
    public void Reads_a_policy_with_positions_of_every_node()
    {
        var result = PolicyReader.Read("p.yaml", Cnp);

        var parsed = Assert.Single(result.Policies);
        Assert.Empty(parsed.Findings);
        var policy = Assert.IsType<CiliumPolicy>(parsed.Document);
        Assert.Equal("a", policy.Metadata!.Name!.Value.Text);
        var rule = policy.Spec!.Ingress[0];
        Assert.Equal(new SourcePosition("p.yaml", 10, 5), rule.Position);
        var type = rule.Icmps[0].Fields[0].Type!.Value;
        Assert.Equal(("8", ScalarKind.Number), (type.Text, type.Kind));
        Assert.Equal(new SourcePosition("p.yaml", 15, 15), type.Position);
    }

    [Fact]
    public void Reads_many_documents_and_lists_and_skips_other_kinds_with_a_note()
    {
        var text = $"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {"{"}name: web{"}"}
            ---
            {Cnp}
            ---
            apiVersion: v1
            kind: List
            items:
            - apiVersion: networking.k8s.io/v1
              kind: NetworkPolicy
              metadata: {"{"}name: np{"}"}
              spec: {"{"}podSelector: {"{}"}{"}"}
            """;
        var result = PolicyReader.Read("m.yaml", text);

        Assert.Equal([PolicyKind.CiliumNetworkPolicy, PolicyKind.NetworkPolicy], result.Policies.Select(p => p.Document.Kind));
        Assert.Equal("items[0]", result.Policies[1].Document.PathPrefix);
        var note = Assert.Single(result.FileFindings);
        Assert.Equal(Severity.Note, note.Severity);
        Assert.Equal("skipped Deployment \"web\" (apps/v1): not a network policy", note.Detail);
    }

    [Fact]
    public void Reads_a_bare_json_array_of_rules_with_tabs()
    {
        var json = "[{\n\t\"endpointSelector\": {\"matchLabels\": {\"app\": \"a\"}},\n\t\"egress\": [{\"toEntities\": [\"world\"]}]\n}, {\"endpointSelector\": {}}]";
        var result = PolicyReader.Read("r.json", json);

        Assert.Equal(2, result.Policies.Length);
        Assert.All(result.Policies, p => Assert.Equal(PolicyKind.CiliumRule, p.Document.Kind));
        Assert.Equal("[1]", result.Policies[1].Document.PathPrefix);
        var egress = ((CiliumPolicy)result.Policies[0].Document).Spec!.Egress[0];
        Assert.Equal(new SourcePosition("r.json", 3, 13), egress.Position);
    }

    [Fact]
    public void Json_object_with_kind_is_read_like_yaml()
    {
        var json = """{"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "x"}, "spec": {"endpointSelector": {}}}""";
        var result = PolicyReader.Read("-", json);
        Assert.Equal(PolicyKind.CiliumClusterwideNetworkPolicy, Assert.Single(result.Policies).Document.Kind);
    }

    [Theory]
    [InlineData("icmp", "did you mean \"icmps\"?")]
    [InlineData("toPort", "did you mean \"toPorts\"?")]
    [InlineData("toEndpoints", "ingress rules name their peers with from… fields; did you mean \"fromEndpoints\"?")]
    [InlineData("toFQDNs", "toFQDNs exists only in egress rules")]
    public void Unknown_fields_are_errors_with_hints(string key, string hint)
    {
        var text = $"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: a}}\nspec:\n  endpointSelector: {{}}\n  ingress:\n  - {key}: []\n";
        var finding = Assert.Single(Assert.Single(PolicyReader.Read("u.yaml", text).Policies).Findings);

        Assert.Equal(FieldErrorKind.UnknownField, finding.Kind);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Equal($"spec.ingress[0].{key}", finding.Path);
        Assert.Equal(new SourcePosition("u.yaml", 7, 5), finding.Position);
        Assert.Equal(hint, finding.Hint);
    }

    [Fact]
    public void A_key_matching_only_without_case_is_bound_with_a_warning()
    {
        var json = """[{"endpointSelector": {}, "ingress": [{"toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}], "rules": {"HTTP": [{"method": "GET"}]}}]}]}]""";
        var parsed = Assert.Single(PolicyReader.Read("h.json", json).Policies);

        var warning = Assert.Single(parsed.Findings);
        Assert.Equal((Severity.Warning, FieldErrorKind.NonStandard), (warning.Severity, warning.Kind));
        Assert.Equal("[0].ingress[0].toPorts[0].rules.HTTP", warning.Path);
        var http = ((CiliumPolicy)parsed.Document).Spec!.Ingress[0].ToPorts[0].Rules!.Http;
        Assert.Equal("GET", Assert.Single(http).Method!.Value.Text);
    }

    [Fact]
    public void Duplicate_keys_are_errors()
    {
        var text = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: a}\nspec:\n  endpointSelector: {}\n  endpointSelector: {matchLabels: {a: b}}\n";
        var finding = Assert.Single(Assert.Single(PolicyReader.Read("d.yaml", text).Policies).Findings);
        Assert.Equal((FieldErrorKind.Duplicate, "spec.endpointSelector", 6), (finding.Kind, finding.Path, finding.Position.Line));
    }

    /// <summary>
    /// Two policies, each with its own %YAML directive and "---", the first ended with "...": valid
    /// YAML (1.2 §9.2, example 9.5), and two policies, whichever versions the directives name.
    /// </summary>
    [Theory]
    [InlineData("1.2", "1.2")]
    [InlineData("1.1", "1.2")]
    [InlineData("1.1", "1.1")]
    public void Reads_policies_with_a_YAML_directive_each(string first, string second)
    {
        var text = $"%YAML {first}\n---\n{Cnp}\n...\n%YAML {second}\n---\n{Cnp.Replace("name: a", "name: b", StringComparison.Ordinal)}\n";

        var result = PolicyReader.Read("directives.yaml", text);

        Assert.Empty(result.FileFindings);
        Assert.All(result.Policies, p => Assert.Empty(p.Findings));
        Assert.Equal(["a", "b"], result.Policies.Select(p => ((CiliumPolicy)p.Document).Metadata!.Name!.Value.Text));
        Assert.Equal([3, 21], result.Policies.Select(p => p.Document.Position.Line));
    }

    [Theory]
    [InlineData("y.yaml", "a: 1\nspec: [unclosed\n", 3)]
    [InlineData("j.json", "{\n\"spec\": }", 2)]
    [InlineData("t.yaml", "a:\n  b: [1, 2\n  c: 3\n", 2)]
    [InlineData("u.yaml", "a: b\n- c\n", 2)]
    public void Syntax_errors_name_the_line(string file, string text, int line)
    {
        var result = PolicyReader.Read(file, text);
        var error = Assert.Single(result.FileFindings);
        Assert.Equal((FieldErrorKind.Syntax, Severity.Error), (error.Kind, error.Severity));
        Assert.Equal(line, error.Position.Line);
        Assert.True(result.HasErrors);
    }

    [Fact]
    public void A_misspelt_policy_kind_is_an_error_not_a_skip()
    {
        var result = PolicyReader.Read("k.yaml", "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolcy\nmetadata: {name: a}\n");
        var error = Assert.Single(result.FileFindings);
        Assert.Equal((Severity.Error, "did you mean \"CiliumNetworkPolicy\"?"), (error.Severity, error.Hint));
    }

    [Fact]
    public void Empty_list_is_present_and_missing_list_is_absent()
    {
        var result = PolicyReader.Read("e.yaml", "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: a}\nspec:\n  endpointSelector: {}\n  egress:\n");
        var rule = ((CiliumPolicy)result.Policies[0].Document).Spec!;
        Assert.True(rule.Egress.IsPresent);
        Assert.True(rule.Egress.IsEmpty);
        Assert.False(rule.Ingress.IsPresent);
    }

    [Fact]
    public void A_single_code_and_a_list_of_codes_are_both_lists()
    {
        var text = "[{\"endpointSelector\": {}, \"ingress\": [{\"icmps\": [{\"fields\": [{\"type\": 3, \"code\": 4}, {\"type\": 3, \"code\": [0, \"2-3\"]}]}]}]}]";
        var fields = ((CiliumPolicy)PolicyReader.Read("c.json", text).Policies[0].Document).Spec!.Ingress[0].Icmps[0].Fields;
        Assert.Equal(["4"], fields[0].Codes.Select(c => c.Text));
        Assert.Equal(["0", "2-3"], fields[1].Codes.Select(c => c.Text));
    }

    [Fact]
    public void An_object_without_kind_is_an_error_not_a_bare_rule()
    {
        var result = PolicyReader.Read("nokind.yaml", "apiVersion: cilium.io/v2\nmetadata: {name: a}\nspec:\n  endpointSelector: {}\n");
        Assert.Empty(result.Policies);
        var error = Assert.Single(result.FileFindings);
        Assert.Equal((FieldErrorKind.Required, "kind"), (error.Kind, error.Path));
    }
}
