using System.CommandLine;
using Membrane.Api;
using Membrane.Cli.Output;
using Membrane.Policy.Inputs;

namespace Membrane.Cli.Commands.Agent;

/// <summary><c>membrane policy import|get|delete</c>: the agent's live policies, through its API.</summary>
public static class PolicyImportCommand
{
    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr, Func<Stream> stdin)
    {
        var files = new Argument<string[]>("FILE") { Description = "Policy files or directories, or - for standard input.", Arity = ArgumentArity.OneOrMore };
        var socket = SocketOption.Create();
        var output = OutputOption.Create();
        var maxInputSize = InputSizeOption.Create();
        var allowL4Only = new Option<bool>("--allow-l4-only") { Description = "Apply rules that need what Membrane cannot enforce (L7, FQDN, services, groups, authentication), enforcing only what each warning says." };
        var import = new Command("import", "Validate policies and apply them to the agent, all or nothing; prints the new policy revision.") { files, allowL4Only, socket, output, maxInputSize };
        import.SetAction(parse =>
        {
            var texts = PolicyInputs.Collect(new InputCollector(PolicyInputs.Options(parse.GetValue(maxInputSize), stdin)), parse.GetValue(files)!, stderr);
            if (texts is null)
            {
                return MembraneCommand.UsageError;
            }

            return AgentCall.Run(parse.GetValue(socket), stderr, async client =>
            {
                var response = await client.ImportPoliciesAsync(new PolicyImportRequest([.. texts.Select(t => new PolicyFile(t.File, t.Text))], parse.GetValue(allowL4Only)));

                if (OutputOption.Parse(parse.GetValue(output)!) == OutputFormat.Json)
                {
                    AgentCall.WriteJson(stdout, response, ApiJsonContext.Default.PolicyImportResponse);
                }
                else
                {
                    var text = new TerminalSafeWriter(stderr);
                    foreach (var f in response.Findings)
                    {
                        text.WriteLine($"{f.File}:{f.Line}:{f.Column}: {f.Severity} {f.Code}: {f.Path}: {f.Message}");
                    }

                    stdout.WriteLine(response.Applied
                        ? $"applied: policy revision {response.Revision}"
                        : $"not applied: {response.Findings.Count(f => f.Severity == "error")} errors; the agent's policies are unchanged (revision {response.Revision})");
                }

                return response.Applied ? 0 : 1;
            });
        });

        var getSocket = SocketOption.Create();
        var getOutput = OutputOption.Create();
        var get = new Command("get", "List the agent's policies and the policy revision.") { getSocket, getOutput };
        get.SetAction(parse => AgentCall.Run(parse.GetValue(getSocket), stderr, async client =>
        {
            Write(await client.ListPoliciesAsync(), OutputOption.Parse(parse.GetValue(getOutput)!), stdout);
            return 0;
        }));

        var name = new Argument<string?>("NAME") { Description = "NAMESPACE/NAME, or NAME when it is unique.", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Delete every policy." };
        var deleteSocket = SocketOption.Create();
        var deleteOutput = OutputOption.Create();
        var delete = new Command("delete", "Delete one policy, or all of them with --all.") { name, all, deleteSocket, deleteOutput };
        delete.SetAction(parse =>
        {
            var which = parse.GetValue(name);
            if ((which is null) == !parse.GetValue(all))
            {
                stderr.WriteLine("membrane: policy delete takes a NAME or --all (one of the two)");
                return MembraneCommand.UsageError;
            }

            return AgentCall.Run(parse.GetValue(deleteSocket), stderr, async client =>
            {
                Write(await client.DeletePoliciesAsync(which), OutputOption.Parse(parse.GetValue(deleteOutput)!), stdout);
                return 0;
            });
        });

        return [import, get, delete];
    }

    private static void Write(PolicyListResponse list, OutputFormat format, TextWriter stdout)
    {
        if (format == OutputFormat.Json)
        {
            AgentCall.WriteJson(stdout, list, ApiJsonContext.Default.PolicyListResponse);
            return;
        }

        var text = new TerminalSafeWriter(stdout);
        text.WriteLine($"policy revision {list.Revision}, {list.Policies.Count} policies");
        foreach (var p in list.Policies)
        {
            text.WriteLine($"  {p.Kind} {(p.Namespace is { Length: > 0 } ns ? ns + "/" : "")}{p.Name}  ({p.File})");
        }
    }
}
