using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Reading;
using Membrane.Policy.Values;

namespace Membrane.Policy.Validation;

public sealed partial class PolicyValidator
{
    /// <summary>Cilium allows one kind of L3 peer per rule (its <c>l3Members</c> check).</summary>
    private void ValidatePeerCombination(PeerRule rule, string path, PolicySection section)
    {
        // Nearly every rule names one kind of peer or none; only build the list when there are two.
        var kinds = (rule.Endpoints.Count > 0 ? 1 : 0) + (rule.Cidrs.Count + rule.CidrSets.Count > 0 ? 1 : 0) + (rule.Entities.Count > 0 ? 1 : 0)
            + (rule.Nodes.Count > 0 ? 1 : 0) + (rule.Groups.Count > 0 ? 1 : 0) + (rule.Services.Count > 0 ? 1 : 0) + (rule.Fqdns.Count > 0 ? 1 : 0);
        if (kinds < 2)
        {
            return;
        }

        var members = new (string Name, int Count, Source.SourcePosition Position)[]
        {
            (section.PeerField("Endpoints"), rule.Endpoints.Count, rule.Endpoints.FirstPosition()),
            // CIDR and CIDRSet name the same kind of peer, and Cilium accepts them together.
            (section.PeerField("CIDR"), rule.Cidrs.Count + rule.CidrSets.Count, rule.Cidrs.Count > 0 ? rule.Cidrs[0].Position : rule.CidrSets.FirstPosition()),
            (section.PeerField("Entities"), rule.Entities.Count, rule.Entities.Count > 0 ? rule.Entities[0].Position : default),
            (section.PeerField("Nodes"), rule.Nodes.Count, rule.Nodes.FirstPosition()),
            (section.PeerField("Groups"), rule.Groups.Count, rule.Groups.FirstPosition()),
            ("toServices", rule.Services.Count, rule.Services.FirstPosition()),
            ("toFQDNs", rule.Fqdns.Count, rule.Fqdns.FirstPosition()),
        }.Where(m => m.Count > 0).ToList();

        for (var i = 1; i < members.Count; i++)
        {
            Error(FieldErrorKind.Forbidden, FieldPath.Child(path, members[i].Name), members[i].Position,
                $"{members[0].Name} and {members[i].Name} cannot be combined in one rule (Cilium does not support it)",
                hint: $"write one rule with {members[0].Name} and another with {members[i].Name}", code: "MBR2001");
        }
    }

    /// <summary>
    /// Reports a peer Membrane cannot resolve. In an allow rule that selects nothing, which fails
    /// closed, so it is a warning. In a deny rule, selecting nothing would deny nothing and fail
    /// open, so the rule is refused.
    /// </summary>
    private void Unresolvable(PolicySection section, string path, Source.SourcePosition position, string what, string? bad = null)
    {
        if (section.IsDeny())
        {
            Error(FieldErrorKind.NotSupported, path, position,
                $"{what}; in a deny rule that would deny nothing, so Membrane refuses the rule (fail closed)", bad, "name the peers with endpoints, entities or CIDRs", code: "MBR2002");
        }
        else
        {
            Warning(FieldErrorKind.NotEnforced, path, position, $"{what}; it selects no peers, so this rule allows nothing (fail closed)", bad, code: "MBR2003");
        }
    }

    private void ValidatePeers(PeerRule rule, string path, PolicySection section)
    {
        var p = section.PeerPrefix();
        var allowsSomething = !rule.ToPorts.IsEmpty || !rule.Icmps.IsEmpty;
        WarnIfEmpty(rule.Endpoints, section.PeerField("Endpoints"), "every endpoint", "[{}]", allowsSomething, rule, path);
        WarnIfEmpty(rule.Cidrs, section.PeerField("CIDR"), "every address", "[0.0.0.0/0, \"::/0\"]", allowsSomething, rule, path);
        WarnIfEmpty(rule.CidrSets, section.PeerField("CIDRSet"), "every address", "[{cidr: 0.0.0.0/0}, {cidr: \"::/0\"}]", allowsSomething, rule, path);
        WarnIfEmpty(rule.Entities, section.PeerField("Entities"), "every peer", "[all]", allowsSomething, rule, path);

        ValidateSelectors(rule.Endpoints, FieldPath.Child(path, section.PeerField("Endpoints")));
        ValidateSelectors(rule.Requires, FieldPath.Child(path, section.PeerField("Requires")));
        ValidateSelectors(rule.Nodes, FieldPath.Child(path, section.PeerField("Nodes")));
        if (!rule.Nodes.IsEmpty)
        {
            Unresolvable(section, FieldPath.Child(path, section.PeerField("Nodes")), rule.Nodes[0].Position, $"{p}Nodes selects nodes by their labels, which Membrane does not know");
        }

        for (var i = 0; i < rule.Entities.Count; i++)
        {
            var entity = rule.Entities[i];
            if (!Entities.IsKnown(entity.Text))
            {
                Error(FieldErrorKind.NotSupported, FieldPath.Index(FieldPath.Child(path, section.PeerField("Entities")), i), entity.Position,
                    $"not an entity; entities are {string.Join(", ", Entities.Names)}", entity.Text, NameSuggester.DidYouMean(entity.Text, Entities.Names), code: "MBR2004");
            }
        }

        for (var i = 0; i < rule.Cidrs.Count; i++)
        {
            var findings = new List<FieldError>();
            CidrResolver.Resolve(rule.Cidrs[i], FieldPath.Index(FieldPath.Child(path, section.PeerField("CIDR")), i), allowBareAddress: true, findings);
            _findings.Items.AddRange(findings);
        }

        for (var i = 0; i < rule.CidrSets.Count; i++)
        {
            ValidateCidrRule(rule.CidrSets[i], FieldPath.Index(FieldPath.Child(path, section.PeerField("CIDRSet")), i), section);
        }

        if (!rule.Groups.IsEmpty)
        {
            Unresolvable(section, FieldPath.Child(path, section.PeerField("Groups")), rule.Groups[0].Position, $"{p}Groups needs a cloud provider integration that Membrane does not have");
            for (var i = 0; i < rule.Groups.Count; i++)
            {
                if (rule.Groups[i].Aws is null)
                {
                    Error(FieldErrorKind.Required, FieldPath.Child(FieldPath.Index(FieldPath.Child(path, section.PeerField("Groups")), i), "aws"), rule.Groups[i].Position, "a group needs a provider: aws", code: "MBR2005");
                }
            }
        }

        for (var i = 0; i < rule.Fqdns.Count; i++)
        {
            ValidateFqdn(rule.Fqdns[i], FieldPath.Index(FieldPath.Child(path, "toFQDNs"), i));
        }

        if (!rule.Fqdns.IsEmpty)
        {
            Warning(FieldErrorKind.NotEnforced, FieldPath.Child(path, "toFQDNs"), rule.Fqdns[0].Position,
                "toFQDNs needs a DNS proxy that Membrane does not have; it resolves to no addresses, so this rule allows nothing (fail closed)", code: "MBR2006");
        }

        for (var i = 0; i < rule.Services.Count; i++)
        {
            var service = rule.Services[i];
            var servicePath = FieldPath.Index(FieldPath.Child(path, "toServices"), i);
            if (service.K8sService is null && service.K8sServiceSelector is null)
            {
                Warning(FieldErrorKind.Ineffective, servicePath, service.Position, "an empty service selector selects no service", code: "MBR2007");
            }
            else if (service.K8sService is not null && service.K8sServiceSelector is not null)
            {
                Error(FieldErrorKind.Forbidden, servicePath, service.Position, "a service is named by one of k8sService or k8sServiceSelector, not both", code: "MBR2008");
            }

            if (service.K8sServiceSelector?.Selector is { } selector)
            {
                ValidateSelector(selector, FieldPath.Child(servicePath, "k8sServiceSelector.selector"));
            }
            else if (service.K8sServiceSelector is { } k8sSelector)
            {
                Error(FieldErrorKind.Required, FieldPath.Child(servicePath, "k8sServiceSelector.selector"), k8sSelector.Position, "k8sServiceSelector needs a selector", code: "MBR2009");
            }

            if (service.K8sService is { ServiceName: null } reference)
            {
                Error(FieldErrorKind.Required, FieldPath.Child(servicePath, "k8sService.serviceName"), reference.Position, "k8sService needs a serviceName", code: "MBR2010");
            }
        }

        if (!rule.Services.IsEmpty)
        {
            Unresolvable(section, FieldPath.Child(path, "toServices"), rule.Services[0].Position, "toServices needs Kubernetes service state that Membrane does not have");
        }
    }

    /// <summary>
    /// An empty peer list is the same as no list to Cilium (Go cannot tell them apart), which is
    /// rarely what its author meant; say what the rule does instead.
    /// </summary>
    private void WarnIfEmpty<T>(PolicyList<T> list, string field, string all, string allForm, bool allowsSomething, PeerRule rule, string path)
    {
        if (!list.IsPresent || !list.IsEmpty || rule.HasPeers)
        {
            return;
        }

        var effect = allowsSomething
            ? $"{field} is empty, which Cilium reads as if it were not written: this rule applies to every peer"
            : $"{field} is empty, so it selects no peers and this rule allows nothing";
        Warning(FieldErrorKind.Ineffective, FieldPath.Child(path, field), list.Position.IsKnown ? list.Position : rule.Position, effect, hint: $"to select {all}, write {field}: {allForm}", code: "MBR2011");
    }

    private void ValidateCidrRule(CidrRule rule, string path, PolicySection section)
    {
        var sources = new[] { rule.Cidr is not null, rule.CidrGroupRef is not null, rule.CidrGroupSelector is not null }.Count(b => b);
        if (sources == 0)
        {
            Error(FieldErrorKind.Required, FieldPath.Child(path, "cidr"), rule.Position, "a CIDR rule needs cidr (or cidrGroupRef)", code: "MBR2012");
            return;
        }

        if (sources > 1)
        {
            Error(FieldErrorKind.Forbidden, path, rule.Position, "a CIDR rule takes exactly one of cidr, cidrGroupRef and cidrGroupSelector", code: "MBR2013");
        }

        if (rule.CidrGroupRef is { } groupRef)
        {
            Unresolvable(section, FieldPath.Child(path, "cidrGroupRef"), groupRef.Position, "CIDR groups are cluster objects that Membrane does not read", groupRef.Text);
        }

        if (rule.CidrGroupSelector is { } groupSelector)
        {
            ValidateSelector(groupSelector, FieldPath.Child(path, "cidrGroupSelector"));
            Unresolvable(section, FieldPath.Child(path, "cidrGroupSelector"), groupSelector.Position, "CIDR groups are cluster objects that Membrane does not read");
        }

        if (rule.Cidr is not { } cidrText)
        {
            return;
        }

        var findings = new List<FieldError>();
        CidrResolver.ResolveSet(cidrText, rule.Except, FieldPath.Child(path, "cidr"), FieldPath.Child(path, "except"), strict: false, findings);
        _findings.Items.AddRange(findings);
    }

    private void ValidateFqdn(FqdnSelector selector, string path)
    {
        if (selector.MatchName is null && selector.MatchPattern is null)
        {
            Error(FieldErrorKind.Required, FieldPath.Child(path, "matchName"), selector.Position, "a DNS selector needs matchName or matchPattern", code: "MBR2014");
        }
        else if (selector.MatchName is not null && selector.MatchPattern is not null)
        {
            Error(FieldErrorKind.Forbidden, FieldPath.Child(path, "matchPattern"), selector.MatchPattern.Value.Position,
                "only one of matchName or matchPattern is allowed in a DNS selector", code: "MBR2015");
        }

        if (selector.MatchName is { } name && !name.Text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            Error(FieldErrorKind.Invalid, FieldPath.Child(path, "matchName"), name.Position, "a DNS name has only letters, digits, '-', '_' and '.'", name.Text,
                name.Text.Contains('*') ? "use matchPattern for wildcards" : null, code: "MBR2016");
        }

        if (selector.MatchPattern is { } pattern && !pattern.Text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '*'))
        {
            Error(FieldErrorKind.Invalid, FieldPath.Child(path, "matchPattern"), pattern.Position, "a DNS pattern has only letters, digits, '-', '_', '.' and '*'", pattern.Text, code: "MBR2017");
        }
    }
}
