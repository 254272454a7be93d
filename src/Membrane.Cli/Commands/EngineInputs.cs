using Membrane.Cli.Output;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Inputs;
using Membrane.Policy.Validation;

namespace Membrane.Cli.Commands;

/// <summary>
/// What trace and resolve work on: validated, compiled rules and the identities of the node.
/// Invalid policies are refused whole, so a trace never runs on half a policy set.
/// </summary>
public sealed class EngineInputs
{
    private EngineInputs(PolicyService service) => Service = service;

    /// <summary>The node's policies and identities, as trace and resolve see them.</summary>
    public PolicyService Service { get; }

    public IdentitySet Identities => Service.Identities;

    /// <summary>Loads policies and identities; on failure writes why to <paramref name="stderr"/> and returns the exit code.</summary>
    public static EngineInputs? Load(string[] files, string? identitiesFile, InputOptions inputOptions, TextWriter stderr, out int exitCode)
    {
        exitCode = MembraneCommand.UsageError;
        // One collector for both, so '-' is read once; both are read before either can stop the run, so every
        // unreadable input is reported at once.
        var collector = new InputCollector(inputOptions);
        var texts = PolicyInputs.Collect(collector, files, stderr);
        var identitiesText = identitiesFile is null ? null : PolicyInputs.ReadFile(collector, identitiesFile, "--identities", stderr);
        if (texts is null || identitiesFile is not null && identitiesText is null)
        {
            return null;
        }

        exitCode = 0;
        var service = new PolicyService();
        var change = service.Load(texts);
        if (!change.Applied)
        {
            foreach (var error in change.Report.Files.SelectMany(f => f.AllFindings).Where(f => f.Severity == Severity.Error))
            {
                stderr.WriteLine(TerminalText.Escape(error.ToString()));
            }

            stderr.WriteLine($"membrane: the policies are invalid ({change.Report.Summary}); nothing was traced");
            exitCode = 1;
            return null;
        }

        var identities = service.Identities;
        if (identitiesText is not null)
        {
            // Like invalid policies: every finding, then exit 1, and nothing runs on part of the file.
            var findings = IdentityFile.Load(identitiesText.File, identitiesText.Text, identities);
            if (findings.Any(f => f.Severity == Severity.Error))
            {
                foreach (var finding in findings)
                {
                    stderr.WriteLine(TerminalText.Escape(finding.ToString()));
                }

                // Past the finding limit the last line counts the rest; the summary then says "more than".
                var count = findings.Count(f => f.Severity == Severity.Error);
                var howMany = findings.Any(f => f.Kind == FieldErrorKind.TooMany) ? $"more than {count} errors" : $"{count} error{(count == 1 ? "" : "s")}";
                stderr.WriteLine($"membrane: the identities file is invalid ({howMany}); nothing was traced or resolved");
                exitCode = 1;
                return null;
            }
        }

        return new EngineInputs(service);
    }

    /// <summary>
    /// The labels of <c>--src</c>, <c>--dst</c> or <c>--endpoint</c>. An empty set (<c>""</c>,
    /// <c>","</c>) would name an endpoint that only <c>{}</c> selects, never the one meant.
    /// </summary>
    public static LabelSet? ParseLabels(string? text, string option) => Membrane.Policy.Engine.Tracing.TraceQuery.Labels(text, option);

    /// <summary>
    /// One side of a traced packet: the endpoint whose policy applies (from the labels, else the
    /// identity the address maps to) and the identity the other side's datapath sees (the IP
    /// cache's identity of the address, else the endpoint). A new endpoint named by labels takes
    /// the address when no identity holds it yet.
    /// </summary>
    public (Identity Endpoint, Identity Seen) Side(LabelSet? labels, System.Net.IPAddress? address, string option, string addressOption, string viewer, List<string> notes)
    {
        if (labels is null)
        {
            var byAddress = Identities.Lookup(address!);
            return (byAddress, byAddress);
        }

        var endpoint = Identities.Find(labels)
            ?? Identities.AddEndpoint(labels, addresses: address is not null && Identities.FindByAddress(address) is null ? [address] : null);
        if (address is null)
        {
            return (endpoint, endpoint);
        }

        var seen = Identities.Lookup(address);
        if (seen.Id != endpoint.Id)
        {
            notes.Add($"{addressOption} {address} is identity {seen.Id} ({seen.Labels}) in the IP cache, not the {option} endpoint (identity {endpoint.Id}): "
                + $"the {option} endpoint's own policy is traced, and {viewer} sees identity {seen.Id}");
        }

        return (endpoint, seen);
    }
}
