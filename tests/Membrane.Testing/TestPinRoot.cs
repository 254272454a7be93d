namespace Membrane.Testing;

/// <summary>The one bpffs directory the tests pin under, shared by every test project.</summary>
public static class TestPinRoot
{
    public const string Path = "/sys/fs/bpf/membrane-test";

    /// <summary>
    /// Removes <paramref name="directory"/> (the shared root by default) when nothing is left in it. Test projects run
    /// at once, so another test's pins may keep it; then rmdir fails, and that is not an error.
    /// </summary>
    public static void RemoveIfEmpty(string directory = Path)
    {
        try
        {
            if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
            }
        }
        catch (IOException)
        {
        }
    }
}
