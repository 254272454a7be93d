using System.CommandLine;
using Membrane.Cli.Output;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Inputs;
using Membrane.Policy.Engine.MapState;

namespace Membrane.Cli.Commands;

/// <summary><c>membrane policy resolve</c>: the map state one endpoint's policy resolves to.</summary>
public static class PolicyResolveCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, Func<Stream> stdin)
    {
        var files = new Option<string[]>("--file", "-f") { Description = "Policy files or directories (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        var endpoint = new Option<string>("--endpoint") { Description = "The endpoint's labels, e.g. k8s:app=db,k8s:io.kubernetes.pod.namespace=default.", Required = true };
        var identities = new Option<string?>("--identities") { Description = "YAML file of the identities the node knows (labels, ips, namedPorts)." };
        var output = OutputOption.Create();
        var maxInputSize = InputSizeOption.Create();

        var command = new Command("resolve", "Show the policy map state of one endpoint: every entry with its peer, protocol, port or ICMP type, verdict and rule.");
        foreach (var option in new Option[] { files, endpoint, identities, output, maxInputSize })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => Execute(
            parse.GetValue(files)!, parse.GetValue(endpoint)!, parse.GetValue(identities), OutputOption.Parse(parse.GetValue(output)!),
            PolicyInputs.Options(parse.GetValue(maxInputSize), stdin), stdout, stderr));
        return command;
    }

    public static int Execute(string[] files, string endpointLabels, string? identitiesFile, OutputFormat format, InputOptions inputOptions, TextWriter stdout, TextWriter stderr)
    {
        LabelSet labels;
        try
        {
            labels = EngineInputs.ParseLabels(endpointLabels, "--endpoint")!;
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"membrane: {e.Message}");
            return MembraneCommand.UsageError;
        }

        var inputs = EngineInputs.Load(files, identitiesFile, inputOptions, stderr, out var exitCode);
        if (inputs is null)
        {
            return exitCode;
        }

        var endpoint = inputs.Side(labels, null, "--endpoint", "", "", []).Endpoint;
        var state = inputs.Service.Resolve(endpoint);
        if (format == OutputFormat.Json)
        {
            MapStateJsonWriter.Write(endpoint, state, inputs.Identities, stdout);
        }
        else
        {
            MapStateTextWriter.Write(endpoint, state, inputs.Identities, new TerminalSafeWriter(stdout));
        }

        return 0;
    }
}
