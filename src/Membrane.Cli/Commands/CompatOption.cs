using System.CommandLine;

namespace Membrane.Cli.Commands;

/// <summary><c>--compat cilium</c>: hold policies to exactly what a cluster running Cilium admits.</summary>
public static class CompatOption
{
    public const string Cilium = "cilium";

    public static Option<string?> Create()
    {
        var option = new Option<string?>("--compat")
        {
            Description = "cilium: what a Kubernetes API server with Cilium's CRD rejects, and Membrane's extensions (ICMP codes, nftables type names), are errors.",
        };
        option.AcceptOnlyFromAmong(Cilium);
        return option;
    }
}
