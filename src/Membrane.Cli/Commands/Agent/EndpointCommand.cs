using System.CommandLine;
using Membrane.Api;
using Membrane.Cli.Output;

namespace Membrane.Cli.Commands.Agent;

/// <summary><c>membrane endpoint create|list|get|delete</c>, through the agent's API.</summary>
public static class EndpointCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("endpoint", "Create, list, show and delete the agent's endpoints (a network namespace joined to the node by a veth pair).");

        var name = new Argument<string>("NAME") { Description = "The endpoint's name: a DNS label; it names its network namespace too." };
        var labels = new Option<string>("--labels") { Description = "Its labels, e.g. k8s:app=web,k8s:tier=front.", Required = true };
        var ns = new Option<string>("--namespace") { Description = "Its Kubernetes namespace.", DefaultValueFactory = _ => "default" };
        var netns = new Option<string?>("--netns") { Description = "Adopt this existing named network namespace instead of making one." };
        var ports = new Option<string[]>("--port")
        {
            Description = "A port it names, as a pod's container port: NAME=PORT/PROTOCOL, e.g. http=8080/TCP; repeat for more. Rules may name it.",
            AllowMultipleArgumentsPerToken = false,
        };
        var socket = SocketOption.Create();
        var output = OutputOption.Create();
        var create = new Command("create", "Create an endpoint: namespace, veth pair, addresses, routes, identity and enforcement.") { name, labels, ns, netns, ports, socket, output };
        create.Validators.Add(result =>
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var port in result.GetValue(ports) ?? [])
            {
                if (port.IndexOf('=') <= 0)
                {
                    result.AddError($"--port {port}: give NAME=PORT/PROTOCOL, e.g. http=8080/TCP");
                }
                else if (!seen.Add(port[..port.IndexOf('=')]))
                {
                    result.AddError($"--port {port}: the name {port[..port.IndexOf('=')]} is given twice");
                }
            }
        });
        create.SetAction(parse => AgentCall.Run(parse.GetValue(socket), stderr, async client =>
        {
            var named = (parse.GetValue(ports) ?? []).ToDictionary(p => p[..p.IndexOf('=')], p => p[(p.IndexOf('=') + 1)..], StringComparer.Ordinal);

            var info = await client.CreateEndpointAsync(new EndpointCreateRequest(parse.GetValue(name)!, parse.GetValue(labels)!, parse.GetValue(ns)!, parse.GetValue(netns),
                named.Count > 0 ? named : null));
            Write(info, OutputOption.Parse(parse.GetValue(output)!), stdout);
            return 0;
        }));

        var listSocket = SocketOption.Create();
        var listOutput = OutputOption.Create();
        var list = new Command("list", "List the endpoints.") { listSocket, listOutput };
        list.SetAction(parse => AgentCall.Run(parse.GetValue(listSocket), stderr, async client =>
        {
            var endpoints = await client.ListEndpointsAsync();
            if (OutputOption.Parse(parse.GetValue(listOutput)!) == OutputFormat.Json)
            {
                AgentCall.WriteJson(stdout, endpoints, ApiJsonContext.Default.ListEndpointInfo);
                return 0;
            }

            var text = new TerminalSafeWriter(stdout);
            text.WriteLine($"{"NAME",-24}{"IDENTITY",10}  {"IPV4",-16}{"IPV6",-28}LABELS");
            foreach (var e in endpoints)
            {
                text.WriteLine($"{e.Name,-24}{e.Identity,10}  {e.Ipv4,-16}{e.Ipv6,-28}{string.Join(",", e.Labels)}");
            }

            return 0;
        }));

        var getName = new Argument<string>("NAME");
        var getSocket = SocketOption.Create();
        var getOutput = OutputOption.Create();
        var get = new Command("get", "Show one endpoint.") { getName, getSocket, getOutput };
        get.SetAction(parse => AgentCall.Run(parse.GetValue(getSocket), stderr, async client =>
        {
            Write(await client.GetEndpointAsync(parse.GetValue(getName)!), OutputOption.Parse(parse.GetValue(getOutput)!), stdout);
            return 0;
        }));

        var labelName = new Argument<string>("NAME");
        var setLabels = new Option<string[]>("--set") { Description = "Labels to add, replacing those of the same key, e.g. k8s:app=web or app=web,tier=front; repeat for more." };
        var removeKeys = new Option<string[]>("--remove") { Description = "Label keys to take away, [SOURCE:]KEY, e.g. k8s:tier; repeat for more." };
        var labelSocket = SocketOption.Create();
        var labelOutput = OutputOption.Create();
        var label = new Command("label", "Change an endpoint's labels: its identity follows, and every endpoint's policy with it, with no packet judged by half a change.")
        {
            labelName, setLabels, removeKeys, labelSocket, labelOutput,
        };
        label.Validators.Add(result =>
        {
            if ((result.GetValue(setLabels) ?? []).Length == 0 && (result.GetValue(removeKeys) ?? []).Length == 0)
            {
                result.AddError("give --set LABELS or --remove KEY");
            }
        });
        label.SetAction(parse => AgentCall.Run(parse.GetValue(labelSocket), stderr, async client =>
        {
            var set = parse.GetValue(setLabels) ?? [];
            var info = await client.LabelEndpointAsync(parse.GetValue(labelName)!,
                new LabelChangeRequest(set.Length > 0 ? string.Join(",", set) : null, parse.GetValue(removeKeys) ?? []));
            Write(info, OutputOption.Parse(parse.GetValue(labelOutput)!), stdout);
            return 0;
        }));

        var deleteName = new Argument<string>("NAME");
        var deleteSocket = SocketOption.Create();
        var delete = new Command("delete", "Delete an endpoint and everything its creation made.") { deleteName, deleteSocket };
        delete.SetAction(parse => AgentCall.Run(parse.GetValue(deleteSocket), stderr, async client =>
        {
            await client.DeleteEndpointAsync(parse.GetValue(deleteName)!);
            stdout.WriteLine($"endpoint {TerminalText.Escape(parse.GetValue(deleteName)!)} deleted");
            return 0;
        }));

        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        command.Subcommands.Add(get);
        command.Subcommands.Add(label);
        command.Subcommands.Add(delete);
        return command;
    }

    private static void Write(EndpointInfo info, OutputFormat format, TextWriter stdout)
    {
        if (format == OutputFormat.Json)
        {
            AgentCall.WriteJson(stdout, info, ApiJsonContext.Default.EndpointInfo);
            return;
        }

        var text = new TerminalSafeWriter(stdout);
        text.WriteLine($"name:      {info.Name}");
        text.WriteLine($"namespace: {info.Namespace}");
        text.WriteLine($"netns:     {info.Netns}");
        text.WriteLine($"identity:  {info.Identity}");
        text.WriteLine($"labels:    {string.Join(",", info.Labels)}");
        text.WriteLine($"ipv4:      {info.Ipv4}");
        text.WriteLine($"ipv6:      {info.Ipv6}");
        text.WriteLine($"interface: {info.HostInterface} (ifindex {info.HostIfindex})");
        if (info.Ports.Count > 0)
        {
            text.WriteLine($"ports:     {string.Join(",", info.Ports.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))}");
        }
    }
}
