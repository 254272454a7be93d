using System.Text;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Inputs;

namespace Membrane.Policy.Tests.Inputs;

public sealed class InputCollectorTests : IDisposable
{
    // A hang guard only, never a measure: a walk that blocks on a FIFO or loops would never return.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly InputTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void A_directory_is_read_recursively_in_ordinal_order_of_paths()
    {
        _tree.File("p/b.yaml");
        _tree.File("p/a/z.json");
        _tree.File("p/a.yml");
        _tree.File("p/B.YAML");
        _tree.File("p/notes.txt");

        var set = Collect(_tree["p"]);

        Assert.Empty(set.Findings);
        Assert.Equal(["p/B.YAML", "p/a.yml", "p/a/z.json", "p/b.yaml"], Names(set));
    }

    [Fact]
    public void A_link_to_the_parent_directory_is_noted_and_not_followed()
    {
        _tree.File("p/sub/x.yaml");
        _tree.Link("p/sub/up", "..");

        var set = Collect(_tree["p"]);

        Assert.Equal(["p/sub/x.yaml"], Names(set));
        var note = Assert.Single(set.Findings);
        Assert.Equal($"{_tree["p/sub/up"]}: note MBR1004: skipped: a symbolic link to a directory already visited ({_tree["p"]})", note.ToString());
        Assert.Equal(FieldErrorKind.Skipped, note.Kind);
    }

    [Fact]
    public void Links_between_two_directories_end_the_walk_with_notes()
    {
        _tree.File("p/a/x.yaml");
        _tree.File("p/b/y.yaml");
        _tree.Link("p/a/to-b", "../b");
        _tree.Link("p/b/to-a", "../a");

        var set = Collect(_tree["p"]);

        // The real tree is walked first, so each directory keeps its own name.
        Assert.Equal(["p/a/x.yaml", "p/b/y.yaml"], Names(set));
        Assert.Equal(
            [
                $"{_tree["p/a/to-b"]}: note MBR1004: skipped: a symbolic link to a directory already visited ({_tree["p/b"]})",
                $"{_tree["p/b/to-a"]}: note MBR1004: skipped: a symbolic link to a directory already visited ({_tree["p/a"]})",
            ],
            set.Findings.Select(f => f.ToString()));
    }

    [Fact]
    public void A_loop_of_links_is_noted()
    {
        _tree.File("p/x.yaml");
        _tree.Link("p/a", "b");
        _tree.Link("p/b", "a");

        var set = Collect(_tree["p"]);

        Assert.Equal(["p/x.yaml"], Names(set));
        Assert.Equal(
            [$"{_tree["p/a"]}: note MBR1011: skipped: a symbolic link loop", $"{_tree["p/b"]}: note MBR1011: skipped: a symbolic link loop"],
            set.Findings.Select(f => f.ToString()));
    }

    [Fact]
    public void A_link_to_a_directory_not_yet_visited_is_followed()
    {
        _tree.File("elsewhere/x.yaml");
        _tree.File("p/y.yaml");
        _tree.Link("p/more", _tree["elsewhere"]);

        var set = Collect(_tree["p"]);

        Assert.Empty(set.Findings);
        Assert.Equal(["p/more/x.yaml", "p/y.yaml"], Names(set));
    }

    [Fact]
    public void A_file_reached_twice_is_read_once()
    {
        _tree.File("p/a.yaml");
        _tree.Link("p/b.yaml", "a.yaml");

        var set = Collect(_tree["p"], _tree["p/a.yaml"]);

        Assert.Equal(["p/a.yaml"], Names(set));
        Assert.Equal(
            [
                $"{_tree["p/b.yaml"]}: note MBR1018: skipped: the same file as {_tree["p/a.yaml"]}, already read",
                $"{_tree["p/a.yaml"]}: note MBR1018: skipped: the same file as {_tree["p/a.yaml"]}, already read",
            ],
            set.Findings.Select(f => f.ToString()));
    }

    [Fact]
    public async Task A_fifo_and_a_socket_in_a_directory_are_skipped_without_blocking()
    {
        _tree.File("p/ok.yaml");
        _tree.Fifo("p/fifo.yaml");
        _tree.Socket("p/socket.yaml");
        _tree.Link("p/zero.yaml", "/dev/zero");
        _tree.Fifo("p/other-fifo");

        var set = await Task.Run(() => Collect(_tree["p"])).WaitAsync(HangGuard, TestContext.Current.CancellationToken);

        Assert.Equal(["p/ok.yaml"], Names(set));
        Assert.Equal(
            [
                $"{_tree["p/fifo.yaml"]}: note MBR1010: skipped: a FIFO, not a regular file; in a directory only regular files are read",
                $"{_tree["p/socket.yaml"]}: note MBR1010: skipped: a socket, not a regular file; in a directory only regular files are read",
                $"{_tree["p/zero.yaml"]}: note MBR1010: skipped: a symbolic link to a character device, not to a regular file; in a directory only regular files are read",
            ],
            set.Findings.Select(f => f.ToString()));
    }

    [Fact]
    public void A_broken_link_is_noted_whatever_its_name()
    {
        _tree.File("p/ok.yaml");
        _tree.Link("p/gone", "nowhere");

        var set = Collect(_tree["p"]);

        Assert.Equal(["p/ok.yaml"], Names(set));
        Assert.Equal($"{_tree["p/gone"]}: note MBR1011: skipped: a broken symbolic link (to nowhere)", Assert.Single(set.Findings).ToString());
    }

    [Fact]
    public void A_directory_without_policy_files_is_an_error()
    {
        _tree.File("p/readme.txt");

        var error = Assert.Single(Collect(_tree["p"]).Findings);

        Assert.Equal(Severity.Error, error.Severity);
        Assert.Equal("no *.yaml, *.yml or *.json files in this directory", error.Message);
    }

    [Fact]
    public void A_missing_path_is_an_error_naming_it()
    {
        var set = Collect(_tree["missing.yaml"]);

        Assert.True(set.HasErrors);
        Assert.Equal($"{_tree["missing.yaml"]}: error MBR1012: no such file or directory", Assert.Single(set.Findings).ToString());
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void An_unreadable_directory_is_an_error_naming_it()
    {
        if (Environment.IsPrivilegedProcess)
        {
            Assert.Skip("root reads a directory whatever its mode");
        }

        _tree.File("p/ok.yaml");
        var locked = _tree.Dir("p/locked");
        File.SetUnixFileMode(locked, UnixFileMode.None);
        try
        {
            var set = Collect(_tree["p"]);

            Assert.Equal(["p/ok.yaml"], Names(set));
            Assert.Equal($"{locked}: error MBR1006: cannot read this directory: permission denied", Assert.Single(set.Findings).ToString());
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void An_endless_device_given_explicitly_is_refused_at_the_limit_with_bounded_memory()
    {
        const long limit = 1 << 20;
        var collector = new InputCollector(new InputOptions { MaxInputSize = limit, MaxInputSizeSetting = "--max-input-size" });

        var before = GC.GetAllocatedBytesForCurrentThread();
        var set = collector.Collect(["/dev/zero"]);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Empty(set.Texts);
        var error = Assert.Single(set.Findings);
        Assert.Equal("/dev/zero: error MBR1021: input is larger than the limit of 1 MiB (--max-input-size)", error.ToString());
        Assert.Equal(FieldErrorKind.TooMany, error.Kind);
        Assert.InRange(allocated, limit, 4 * limit);
    }

    [Fact]
    public void A_file_of_exactly_the_limit_is_read_and_one_byte_more_is_refused()
    {
        var exact = _tree.File("exact.yaml", new string('#', 1000));
        var over = _tree.File("over.yaml", new string('#', 1001));
        var collector = new InputCollector(new InputOptions { MaxInputSize = 1000 });

        var set = collector.Collect([exact, over]);

        Assert.Equal(1000, Assert.Single(set.Texts).Text.Length);
        Assert.Equal($"{over}: error MBR1021: input is larger than the limit of 1000 bytes", Assert.Single(set.Findings).ToString());
    }

    [Fact]
    public async Task A_pipe_given_explicitly_is_read()
    {
        var fifo = _tree.Fifo("pipe");
        var writer = Task.Run(() => File.WriteAllTextAsync(fifo, "kind: List\n", TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);

        var set = await Task.Run(() => Collect(fifo)).WaitAsync(HangGuard, TestContext.Current.CancellationToken);
        await writer.WaitAsync(HangGuard, TestContext.Current.CancellationToken);

        Assert.Equal("kind: List\n", Assert.Single(set.Texts).Text);
    }

    [Fact]
    public void A_socket_given_explicitly_is_refused()
    {
        var socket = _tree.Socket("s.yaml");

        Assert.Equal($"{socket}: error MBR1019: cannot read: a socket, not a file", Assert.Single(Collect(socket).Findings).ToString());
    }

    [Fact]
    public void A_dash_given_twice_reads_standard_input_once()
    {
        var opens = 0;
        var collector = new InputCollector(new InputOptions
        {
            StandardInput = () =>
            {
                opens++;
                return new MemoryStream(Encoding.UTF8.GetBytes("kind: List\n"));
            },
        });

        var set = collector.Collect(["-", "-"]);

        Assert.Equal(1, opens);
        var text = Assert.Single(set.Texts);
        Assert.Equal(("<stdin>", "kind: List\n"), (text.Name, text.Text));
        Assert.Equal("<stdin>: note MBR1016: skipped: '-' is given more than once; standard input is read once", Assert.Single(set.Findings).ToString());
        Assert.False(set.HasErrors);
    }

    [Fact]
    public void A_closed_standard_input_is_an_error()
    {
        var collector = new InputCollector(new InputOptions { StandardInput = () => throw new IOException("standard input is closed") });

        var set = collector.Collect(["-"]);

        Assert.True(set.HasErrors);
        Assert.Equal("<stdin>: error MBR1017: cannot read: standard input is closed", Assert.Single(set.Findings).ToString());
    }

    [Fact]
    public void Standard_input_is_limited_too()
    {
        var collector = new InputCollector(new InputOptions { MaxInputSize = 10, StandardInput = () => new MemoryStream(new byte[11]) });

        Assert.Equal("<stdin>: error MBR1021: input is larger than the limit of 10 bytes", Assert.Single(collector.Collect(["-"]).Findings).ToString());
    }

    [Fact]
    public void A_directory_where_a_file_is_expected_says_so()
    {
        var dir = _tree.Dir("identities");

        var set = new InputCollector().ReadFile(dir, "--identities");

        Assert.Empty(set.Texts);
        Assert.Equal($"{dir}: error MBR1015: is a directory; --identities takes a file", Assert.Single(set.Findings).ToString());
    }

    [Fact]
    public void A_file_where_a_file_is_expected_is_read_even_if_also_a_policy_input()
    {
        var file = _tree.File("ids.yaml", "identities: []\n");
        var collector = new InputCollector();
        collector.Collect([file]);

        var set = collector.ReadFile(file, "--identities");

        Assert.Empty(set.Findings);
        Assert.Equal("identities: []\n", Assert.Single(set.Texts).Text);
    }

    [Fact]
    public void Standard_input_already_read_cannot_be_read_again_for_a_file_option()
    {
        var collector = new InputCollector(new InputOptions { StandardInput = () => new MemoryStream() });
        collector.Collect(["-"]);

        var set = collector.ReadFile("-", "--identities");

        Assert.Equal("<stdin>: error MBR1013: standard input is already read as another input; --identities cannot read it again", Assert.Single(set.Findings).ToString());
    }

    private InputSet Collect(params string[] paths) => new InputCollector().Collect(paths);

    private string[] Names(InputSet set) => [.. set.Texts.Select(t => Path.GetRelativePath(_tree.Root, t.Name))];
}
