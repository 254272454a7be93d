namespace Membrane.Policy.Source;

/// <summary>Reads an input's text as YAML or JSON into <see cref="SourceNode"/> trees.</summary>
public static class SourceReader
{
    public static SourceReadResult Read(string file, string text, SourceFormat format, SourceLimits? limits = null, int firstLine = 1) =>
        format == SourceFormat.Json
            ? JsonSourceReader.Read(file, text, limits ?? SourceLimits.Default)
            : YamlSourceReader.Read(file, text, limits ?? SourceLimits.Default, firstLine);
}
