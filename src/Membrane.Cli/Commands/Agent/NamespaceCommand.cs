using System.CommandLine;
using Membrane.Api;
using Membrane.Cli.Output;

namespace Membrane.Cli.Commands.Agent;

/// <summary><c>membrane namespace list|label</c>: Kubernetes namespaces' labels, which their endpoints carry, through the agent's API.</summary>
public static class NamespaceCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("namespace", "List namespaces and change their labels, which namespace selectors match on every endpoint of the namespace.");

        var listSocket = SocketOption.Create();
        var listOutput = OutputOption.Create();
        var list = new Command("list", "List the namespaces that have labels or endpoints.") { listSocket, listOutput };
        list.SetAction(parse => AgentCall.Run(parse.GetValue(listSocket), stderr, async client =>
        {
            var namespaces = await client.ListNamespacesAsync();
            if (OutputOption.Parse(parse.GetValue(listOutput)!) == OutputFormat.Json)
            {
                AgentCall.WriteJson(stdout, namespaces, ApiJsonContext.Default.ListNamespaceInfo);
                return 0;
            }

            var text = new TerminalSafeWriter(stdout);
            text.WriteLine($"{"NAMESPACE",-24}{"ENDPOINTS",10}  LABELS");
            foreach (var n in namespaces)
            {
                text.WriteLine($"{n.Name,-24}{n.Endpoints.Count,10}  {Labels(n)}");
            }

            return 0;
        }));

        var name = new Argument<string>("NAMESPACE");
        var set = new Option<string[]>("--set") { Description = "Labels to add or replace, KEY=VALUE as a Kubernetes namespace's, e.g. env=prod,team=a; repeat for more." };
        var remove = new Option<string[]>("--remove") { Description = "Label keys to take away; repeat for more." };
        var socket = SocketOption.Create();
        var output = OutputOption.Create();
        var label = new Command("label", "Change a namespace's labels: every endpoint of it changes identity with them, with no packet judged by half a change.")
        {
            name, set, remove, socket, output,
        };
        label.Validators.Add(result =>
        {
            if ((result.GetValue(set) ?? []).Length == 0 && (result.GetValue(remove) ?? []).Length == 0)
            {
                result.AddError("give --set LABELS or --remove KEY");
            }
        });
        label.SetAction(parse => AgentCall.Run(parse.GetValue(socket), stderr, async client =>
        {
            var labels = parse.GetValue(set) ?? [];
            var changed = await client.LabelNamespaceAsync(parse.GetValue(name)!,
                new LabelChangeRequest(labels.Length > 0 ? string.Join(",", labels) : null, parse.GetValue(remove) ?? []));
            if (OutputOption.Parse(parse.GetValue(output)!) == OutputFormat.Json)
            {
                AgentCall.WriteJson(stdout, changed, ApiJsonContext.Default.NamespaceInfo);
                return 0;
            }

            var text = new TerminalSafeWriter(stdout);
            text.WriteLine($"namespace: {changed.Name}");
            text.WriteLine($"labels:    {Labels(changed)}");
            text.WriteLine($"endpoints: {string.Join(",", changed.Endpoints)}");
            return 0;
        }));

        command.Subcommands.Add(list);
        command.Subcommands.Add(label);
        return command;
    }

    private static string Labels(NamespaceInfo info) =>
        info.Labels.Count == 0 ? "(none)" : string.Join(",", info.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
}
