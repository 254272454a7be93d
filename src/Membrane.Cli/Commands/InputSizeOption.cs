using System.CommandLine;
using Membrane.Policy.Inputs;

namespace Membrane.Cli.Commands;

/// <summary>The shared <c>--max-input-size SIZE</c> option: the most bytes any one input may have.</summary>
public static class InputSizeOption
{
    public const string Name = "--max-input-size";

    public static Option<long> Create()
    {
        var option = new Option<long>(Name)
        {
            Description = $"The most bytes one input (file, standard input, device, --identities file) may have; a number with an optional KiB, MiB or GiB suffix. Default {InputSize.Format(InputSize.Default)}.",
            HelpName = "SIZE",
            DefaultValueFactory = _ => InputSize.Default,
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (InputSize.TryParse(text, out var bytes))
                {
                    return bytes;
                }

                result.AddError($"{Name}: \"{text}\" is not a size; give a number of bytes, optionally with KiB, MiB or GiB (e.g. 64MiB), from 1 byte to {InputSize.Format(InputSize.Maximum)}");
                return 0;
            },
        };
        return option;
    }
}
