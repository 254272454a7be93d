using System.CommandLine;

namespace Membrane.Cli.Output;

/// <summary>The shared <c>-o text|json</c> option.</summary>
public static class OutputOption
{
    public static Option<string> Create()
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = "Output format: text (for people) or json (for machines).",
            DefaultValueFactory = _ => "text",
        };
        option.AcceptOnlyFromAmong("text", "json");
        return option;
    }

    public static OutputFormat Parse(string value) => value == "json" ? OutputFormat.Json : OutputFormat.Text;
}
