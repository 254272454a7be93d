namespace Membrane.Bpf.Tests.Support;

/// <summary>A pin directory of this test's own, /sys/fs/bpf/membrane-test/&lt;unique&gt;, removed with everything in
/// it on Dispose; the parent goes too once it is empty.</summary>
internal sealed class TestPins : IDisposable
{
    public const string Root = "/sys/fs/bpf/membrane-test";

    public TestPins()
    {
        BpfFileSystem.EnsureMounted();
        Directory = Path.Combine(Root, Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        if (System.IO.Directory.Exists(Root) && !System.IO.Directory.EnumerateFileSystemEntries(Root).Any())
        {
            System.IO.Directory.Delete(Root);
        }
    }
}
