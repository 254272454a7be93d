namespace Membrane.Bpf.Tests.Support;

/// <summary>
/// A pin directory of this test's own, /sys/fs/bpf/membrane-test/mbrpins_xxxxxx, removed with everything in it on
/// Dispose; the parent goes too once it is empty, so a run leaves nothing on bpffs. The one lasting effect is the
/// toolkit's documented one: bpffs is mounted at /sys/fs/bpf when it was missing (<see cref="BpfFileSystem.EnsureMounted"/>).
/// </summary>
internal sealed class TestPins : IDisposable
{
    public const string Root = "/sys/fs/bpf/membrane-test";

    public TestPins()
    {
        BpfFileSystem.EnsureMounted();
        Directory = Path.Combine(Root, TestNames.Unique("pins"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public void Dispose()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        finally
        {
            // Kernel tests run one at a time (KernelCollection), so an empty parent belongs to no other test.
            if (System.IO.Directory.Exists(Root) && !System.IO.Directory.EnumerateFileSystemEntries(Root).Any())
            {
                System.IO.Directory.Delete(Root);
            }
        }
    }
}
