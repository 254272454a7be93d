using System.Text.Json.Serialization;
using Membrane.Agent.State;

namespace Membrane.Agent.Tests.State;

public sealed class StateStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mbr-state-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void What_is_written_reads_back_in_name_order_and_deletes()
    {
        var store = new StateStore(_directory);
        store.Write("endpoints", "web", new Sample("web", 1), SampleContext.Default.Sample);
        store.Write("endpoints", "db", new Sample("db", 2), SampleContext.Default.Sample);
        store.Write("endpoints", "web", new Sample("web", 3), SampleContext.Default.Sample);

        var (objects, problems) = store.ReadAll("endpoints", SampleContext.Default.Sample);
        Assert.Empty(problems);
        Assert.Equal([("db", new Sample("db", 2)), ("web", new Sample("web", 3))], objects);
        Assert.True(store.Delete("endpoints", "db"));
        Assert.False(store.Delete("endpoints", "db"));
        Assert.Single(store.ReadAll("endpoints", SampleContext.Default.Sample).Objects);
    }

    [Fact]
    public void The_directory_is_private_to_its_owner()
    {
        var store = new StateStore(_directory);
        store.Write("policies", "p", new Sample("p", 1), SampleContext.Default.Sample);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("Unix file modes");
        }
        else
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
        }
    }

    [Fact]
    public void A_corrupt_file_is_moved_aside_and_reported_and_the_rest_still_reads()
    {
        var store = new StateStore(_directory);
        store.Write("endpoints", "good", new Sample("good", 1), SampleContext.Default.Sample);
        File.WriteAllText(Path.Combine(_directory, "endpoints", "bad.json"), "{\"Name\": \"bad\", \"Revision\": ");

        var (objects, problems) = store.ReadAll("endpoints", SampleContext.Default.Sample);
        Assert.Equal("good", Assert.Single(objects).Name);
        var problem = Assert.Single(problems);
        Assert.EndsWith("bad.json", problem.Path);
        Assert.True(File.Exists(problem.MovedTo), "the corrupt file is kept, aside");
        Assert.False(File.Exists(problem.Path));
        Assert.Empty(store.ReadAll("endpoints", SampleContext.Default.Sample).Problems);
    }

    [Fact]
    public void A_temporary_file_left_by_an_interrupted_write_is_not_state()
    {
        var store = new StateStore(_directory);
        store.Write("endpoints", "web", new Sample("web", 1), SampleContext.Default.Sample);
        var leftover = Path.Combine(_directory, "endpoints", ".web.json.tmp-1-1");
        File.WriteAllText(leftover, "{\"Name\": \"web\", \"Rev");

        var (objects, problems) = store.ReadAll("endpoints", SampleContext.Default.Sample);
        Assert.Equal(new Sample("web", 1), Assert.Single(objects).Value);
        Assert.Empty(problems);
        Assert.False(File.Exists(leftover));
    }

    [Fact]
    public void A_reader_of_one_file_gets_its_path_with_leftovers_removed_and_nothing_set_aside()
    {
        var store = new StateStore(_directory);
        store.Write("policies", "repository", new Sample("repository", 1), SampleContext.Default.Sample);
        var leftover = Path.Combine(_directory, "policies", ".repository.json.tmp-1-1");
        File.WriteAllText(leftover, "{\"Na");
        File.WriteAllText(Path.Combine(_directory, "policies", "repository.json"), "{ torn");

        Assert.Equal(Path.Combine(_directory, "policies", "repository.json"), store.PathOf("policies", "repository"));
        Assert.False(File.Exists(leftover));
        Assert.Equal("{ torn", File.ReadAllText(store.PathOf("policies", "repository")));
    }

    [Fact]
    public void Concurrent_writers_of_one_object_leave_one_whole_version()
    {
        var store = new StateStore(_directory);
        Parallel.For(0, 200, i => store.Write("endpoints", "web", new Sample(new string('x', i * 50), i), SampleContext.Default.Sample));
        var (objects, problems) = store.ReadAll("endpoints", SampleContext.Default.Sample);
        Assert.Empty(problems);
        var value = Assert.Single(objects).Value;
        Assert.Equal(value.Revision * 50, value.Name.Length);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}

public sealed record Sample(string Name, int Revision);

[JsonSerializable(typeof(Sample))]
internal sealed partial class SampleContext : JsonSerializerContext;
