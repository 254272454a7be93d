using Membrane.Policy.Validation;

namespace Membrane.Cli.Commands;

/// <summary>
/// Turns the paths on a command line into policy texts: files as given, directories searched
/// recursively for *.yaml, *.yml and *.json (in a stable order), and "-" for standard input.
/// </summary>
public static class PolicyInputs
{
    public const string StdinName = "<stdin>";

    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    /// <summary>Lists the files to read; throws <see cref="IOException"/> naming a path that does not exist.</summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (path == "-")
            {
                files.Add(path);
            }
            else if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (found.Count == 0)
                {
                    throw new IOException($"{path}: no *.yaml, *.yml or *.json files in this directory");
                }

                files.AddRange(found);
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw new IOException($"{path}: no such file or directory");
            }
        }

        return files;
    }

    public static PolicyText Read(string file, TextReader stdin) =>
        file == "-" ? new PolicyText(StdinName, stdin.ReadToEnd()) : new PolicyText(file, File.ReadAllText(file));
}
