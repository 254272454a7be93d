using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Source;

namespace Membrane.Policy.Validation;

/// <summary>
/// Checks what a policy means, after the reader has checked its shape. It covers Cilium's own
/// rule checks (<c>Sanitize</c>), the Kubernetes API server's NetworkPolicy checks, Membrane's ICMP
/// rules, and warns about what Membrane does not enforce. Like YARP's validator it never stops at
/// the first finding: every check runs, so a user sees every problem at once.
/// </summary>
public sealed partial class PolicyValidator
{
    private readonly DiagnosticBag _findings = new();

    private PolicyValidator()
    {
    }

    public static ImmutableArray<FieldError> Validate(PolicyDocument document)
    {
        var validator = new PolicyValidator();
        switch (document)
        {
            case CiliumPolicy cilium:
                validator.ValidateCiliumPolicy(cilium);
                break;
            case NetworkPolicy networkPolicy:
                validator.ValidateNetworkPolicy(networkPolicy);
                break;
        }

        return [.. validator._findings.Items];
    }

    private void ValidateCiliumPolicy(CiliumPolicy policy)
    {
        if (policy.PolicyKind != PolicyKind.CiliumRule)
        {
            ValidateApiVersion(policy.ApiVersion, policy, PolicyReader.CiliumApiVersion);
            ValidateMetadata(policy.Metadata, policy, namespaced: policy.PolicyKind == PolicyKind.CiliumNetworkPolicy);
            if (policy.Spec is null && policy.Specs.IsEmpty)
            {
                Error(FieldErrorKind.Required, policy.PathOf("spec"), policy.Position,
                    $"a {policy.PolicyKind} needs spec or specs; without them it is an empty policy", code: "MBR2060");
            }

            if (policy.TopLevelDescription is { } description)
            {
                Warning(FieldErrorKind.Ineffective, policy.PathOf("description"), description.Position,
                    "description is not a field of the object beside spec; Kubernetes prunes it", hint: "move it to spec.description", code: "MBR2061");
            }
        }

        foreach (var (rule, path) in policy.Rules())
        {
            ValidateRule(rule, path);
        }
    }

    private void ValidateApiVersion(Scalar? apiVersion, PolicyDocument document, string expected)
    {
        var path = document.PathOf("apiVersion");
        if (apiVersion is not { } value)
        {
            Error(FieldErrorKind.Required, path, document.Position, $"apiVersion is required; write apiVersion: {expected}", code: "MBR2062");
        }
        else if (value.Text != expected)
        {
            Error(FieldErrorKind.NotSupported, path, value.Position, $"{document.Kind} is served as {expected}", value.Text, code: "MBR2063");
        }
    }

    private void ValidateMetadata(ObjectMetadata? metadata, PolicyDocument document, bool namespaced)
    {
        var path = document.PathOf("metadata");
        if (metadata?.Name is not { } name || name.Text.Length == 0)
        {
            Error(FieldErrorKind.Required, FieldPath.Child(path, "name"), metadata?.Position ?? document.Position, "a policy needs metadata.name", code: "MBR2064");
        }
        else if (!IsDnsSubdomain(name.Text))
        {
            Error(FieldErrorKind.Invalid, FieldPath.Child(path, "name"), name.Position,
                "a name must be a DNS subdomain: at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", name.Text, code: "MBR2065");
        }

        if (metadata?.Namespace is { } ns)
        {
            if (!namespaced)
            {
                Warning(FieldErrorKind.Ineffective, FieldPath.Child(path, "namespace"), ns.Position,
                    $"a {document.Kind} is not namespaced; its namespace is ignored", ns.Text, code: "MBR2066");
            }
            else if (!IsDnsLabel(ns.Text))
            {
                Error(FieldErrorKind.Invalid, FieldPath.Child(path, "namespace"), ns.Position,
                    "a namespace must be a DNS label: at most 63 lower-case letters, digits and '-'", ns.Text, code: "MBR2067");
            }
        }
    }

    private void Error(FieldErrorKind kind, string path, SourcePosition position, string detail, string? bad = null, string? hint = null, string code = "") =>
        _findings.Error(kind, path, position, detail, bad, hint, code: code);

    private void Warning(FieldErrorKind kind, string path, SourcePosition position, string detail, string? bad = null, string? hint = null, string code = "") =>
        _findings.Warning(kind, path, position, detail, bad, hint, code: code);

    private static bool IsDnsSubdomain(string name) => name.Length <= 253 && DnsSubdomain().IsMatch(name);

    private static bool IsDnsLabel(string name) => name.Length <= 63 && DnsLabel().IsMatch(name);

    // \z, not $: .NET's $ also matches before a final "\n", which would let "web\n" through; Go's $, which the
    // API server uses, matches only at the end, and Kubernetes refuses such a name.
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex DnsLabel();
}
