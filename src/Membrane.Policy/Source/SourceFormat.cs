namespace Membrane.Policy.Source;

public enum SourceFormat
{
    Yaml,
    Json,
}
