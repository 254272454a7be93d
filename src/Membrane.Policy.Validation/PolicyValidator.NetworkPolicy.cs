using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Values;

namespace Membrane.Policy.Validation;

/// <summary>Kubernetes NetworkPolicy: the API server's own checks (ValidateNetworkPolicy).</summary>
public sealed partial class PolicyValidator
{
    private static readonly string[] PolicyTypes = ["Ingress", "Egress"];

    private void ValidateNetworkPolicy(NetworkPolicy policy)
    {
        ValidateApiVersion(policy.ApiVersion, policy, PolicyReader.NetworkingApiVersion);
        ValidateMetadata(policy.Metadata, policy, namespaced: true);
        var specPath = policy.PathOf("spec");
        if (policy.Spec is not { } spec)
        {
            Error(FieldErrorKind.Required, specPath, policy.Position, "a NetworkPolicy needs a spec", code: "MBR3001");
            return;
        }

        if (spec.PodSelector is { } podSelector)
        {
            ValidateSelector(podSelector, FieldPath.Child(specPath, "podSelector"), kubernetesSyntax: true);
        }
        else
        {
            Error(FieldErrorKind.Required, FieldPath.Child(specPath, "podSelector"), spec.Position, "podSelector is required", hint: "podSelector: {} selects every pod in the namespace", code: "MBR3002");
        }

        ValidateNetworkPolicyRules(spec.Ingress, FieldPath.Child(specPath, "ingress"), "from");
        ValidateNetworkPolicyRules(spec.Egress, FieldPath.Child(specPath, "egress"), "to");

        var typesPath = FieldPath.Child(specPath, "policyTypes");
        if (spec.PolicyTypes.Count > 2)
        {
            Error(FieldErrorKind.TooMany, typesPath, spec.PolicyTypes[2].Position, "policyTypes holds at most Ingress and Egress", code: "MBR3003");
        }

        var seen = new HashSet<string>();
        for (var i = 0; i < spec.PolicyTypes.Count; i++)
        {
            var type = spec.PolicyTypes[i];
            if (!PolicyTypes.Contains(type.Text))
            {
                Error(FieldErrorKind.NotSupported, FieldPath.Index(typesPath, i), type.Position, "policyTypes holds Ingress and Egress only", type.Text,
                    NameSuggester.DidYouMean(type.Text, PolicyTypes), code: "MBR3004");
            }
            else if (!seen.Add(type.Text))
            {
                Error(FieldErrorKind.Duplicate, FieldPath.Index(typesPath, i), type.Position, "listed twice", type.Text, code: "MBR3005");
            }
        }
    }

    private void ValidateNetworkPolicyRules(PolicyList<NetworkPolicyRule> rules, string path, string peerField)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            var rulePath = FieldPath.Index(path, i);
            var rule = rules[i];
            for (var j = 0; j < rule.Peers.Count; j++)
            {
                ValidateNetworkPolicyPeer(rule.Peers[j], FieldPath.Index(FieldPath.Child(rulePath, peerField), j));
            }

            for (var j = 0; j < rule.Ports.Count; j++)
            {
                ValidateNetworkPolicyPort(rule.Ports[j], FieldPath.Index(FieldPath.Child(rulePath, "ports"), j));
            }
        }
    }

    private void ValidateNetworkPolicyPeer(NetworkPolicyPeer peer, string path)
    {
        if (peer.PodSelector is null && peer.NamespaceSelector is null && peer.IpBlock is null)
        {
            Error(FieldErrorKind.Required, path, peer.Position, "must specify a peer: podSelector, namespaceSelector or ipBlock", code: "MBR3006");
            return;
        }

        if (peer.IpBlock is not null && (peer.PodSelector is not null || peer.NamespaceSelector is not null))
        {
            Error(FieldErrorKind.Forbidden, FieldPath.Child(path, "ipBlock"), peer.IpBlock.Position,
                "ipBlock may not be specified when podSelector or namespaceSelector is specified", code: "MBR3007");
        }

        if (peer.PodSelector is { } podSelector)
        {
            ValidateSelector(podSelector, FieldPath.Child(path, "podSelector"), kubernetesSyntax: true);
        }

        if (peer.NamespaceSelector is { } namespaceSelector)
        {
            ValidateSelector(namespaceSelector, FieldPath.Child(path, "namespaceSelector"), kubernetesSyntax: true);
        }

        if (peer.IpBlock is { } ipBlock)
        {
            var blockPath = FieldPath.Child(path, "ipBlock");
            if (ipBlock.Cidr is not { Text.Length: > 0 } cidrText)
            {
                Error(FieldErrorKind.Required, FieldPath.Child(blockPath, "cidr"), ipBlock.Position, "an ipBlock needs a cidr", code: "MBR3008");
            }
            else
            {
                var findings = new List<FieldError>();
                CidrResolver.ResolveSet(cidrText, ipBlock.Except, FieldPath.Child(blockPath, "cidr"), FieldPath.Child(blockPath, "except"), strict: true, findings);
                _findings.Items.AddRange(findings);
            }
        }
    }

    private void ValidateNetworkPolicyPort(NetworkPolicyPort port, string path)
    {
        var findings = new List<FieldError>();
        NetworkPolicyPortResolver.Resolve(port, path, findings);
        _findings.Items.AddRange(findings);
    }
}
