using Membrane.Policy.Diagnostics;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Inputs;
using Membrane.Policy.Validation;

namespace Membrane.Cli.Commands;

/// <summary>
/// What trace and resolve work on: validated, compiled rules and the identities of the node.
/// Invalid policies are refused whole, so a trace never runs on half a policy set.
/// </summary>
public sealed class EngineInputs
{
    private EngineInputs(List<SubjectRule> rules, IdentitySet identities)
    {
        Rules = rules;
        Identities = identities;
    }

    public List<SubjectRule> Rules { get; }

    public IdentitySet Identities { get; }

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
        var report = PolicyValidationService.Validate(texts, new ValidationOptions());
        var errors = report.Files.SelectMany(f => f.AllFindings).Where(f => f.Severity == Severity.Error).ToList();
        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                stderr.WriteLine(error);
            }

            stderr.WriteLine($"membrane: the policies are invalid ({report.Summary}); nothing was traced");
            exitCode = 1;
            return null;
        }

        var rules = report.Files.SelectMany(f => f.Policies).SelectMany(p => RuleCompiler.Compile(p.Document)).ToList();
        var identities = new IdentitySet();
        foreach (var prefix in RuleCompiler.Prefixes(rules))
        {
            identities.AddCidr(prefix);
        }

        if (identitiesText is not null)
        {
            try
            {
                IdentityFile.Load(identitiesText.File, identitiesText.Text, identities);
            }
            catch (FormatException e)
            {
                stderr.WriteLine($"membrane: error: {e.Message}");
                exitCode = MembraneCommand.UsageError;
                return null;
            }
        }

        return new EngineInputs(rules, identities);
    }

    /// <summary>The endpoint with these labels: the known identity, or a new one.</summary>
    public Identity Endpoint(string labels, System.Net.IPAddress? address = null)
    {
        var set = LabelSet.Parse(labels);
        return Identities.Find(set) ?? Identities.AddEndpoint(set, addresses: address is null ? null : [address]);
    }
}
