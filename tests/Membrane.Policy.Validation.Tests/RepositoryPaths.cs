namespace Membrane.Policy.Validation.Tests;

/// <summary>Finds the checkout and the shared corpus beside it, wherever the tests run from.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The conformance corpus: <c>../shared/corpus</c> from the repository root.</summary>
    public static string Corpus => Path.GetFullPath(Path.Combine(Root, "..", "shared", "corpus"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Membrane.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Membrane.slnx above {AppContext.BaseDirectory}");
    }
}
