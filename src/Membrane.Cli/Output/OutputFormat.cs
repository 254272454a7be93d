namespace Membrane.Cli.Output;

public enum OutputFormat
{
    Text,
    Json,
}
