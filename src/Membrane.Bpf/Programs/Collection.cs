using Membrane.Bpf.Interop;
using Membrane.Bpf.Maps;

namespace Membrane.Bpf.Programs;

/// <summary>
/// The live objects of a <see cref="CollectionSpec"/>: its maps and the programs loaded against them, by name. Made by
/// <see cref="Load"/> or opened from pins by <see cref="OpenPinned"/>; disposing it closes every descriptor (pinned
/// objects and attached programs live on in the kernel).
/// </summary>
public sealed class Collection : IDisposable
{
    private readonly Dictionary<string, BpfMap> _maps;
    private readonly Dictionary<string, BpfProgram> _programs;

    private Collection(Dictionary<string, BpfMap> maps, Dictionary<string, BpfProgram> programs, string? pinDirectory)
    {
        _maps = maps;
        _programs = programs;
        PinDirectory = pinDirectory;
    }

    public IReadOnlyDictionary<string, BpfMap> Maps => _maps;

    public IReadOnlyDictionary<string, BpfProgram> Programs => _programs;

    /// <summary>The directory this collection is pinned in, if this object pinned or opened it.</summary>
    public string? PinDirectory { get; private set; }

    /// <summary>
    /// Creates every map of <paramref name="spec"/>, then loads every program with those maps. Throws
    /// <see cref="ArgumentException"/> for a spec that <see cref="CollectionSpec.Validate"/> refuses, and otherwise the
    /// failing object's own exception (<see cref="MapException"/>, <see cref="VerifierException"/>...), which names it,
    /// the operation and a hint. On failure, whatever was already created is closed again.
    /// </summary>
    public static Collection Load(CollectionSpec spec, ProgramLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Validate() is { } problem)
        {
            throw new ArgumentException($"collection: {problem}", nameof(spec));
        }

        var maps = new Dictionary<string, BpfMap>(StringComparer.Ordinal);
        var programs = new Dictionary<string, BpfProgram>(StringComparer.Ordinal);
        try
        {
            foreach (var mapSpec in spec.Maps)
            {
                maps.Add(mapSpec.Name, BpfMap.Create(mapSpec));
            }

            foreach (var programSpec in spec.Programs)
            {
                programs.Add(programSpec.Name, BpfProgram.Load(programSpec, maps, options));
            }

            return new Collection(maps, programs, pinDirectory: null);
        }
        catch
        {
            DisposeAll(maps, programs);
            throw;
        }
    }

    /// <summary>
    /// Opens every map and program pinned directly under <paramref name="directory"/>, named by their file names.
    /// Other pins (links) are left alone. Throws <see cref="DirectoryNotFoundException"/> when the directory does not
    /// exist, and the object's own exception when a pin cannot be opened.
    /// </summary>
    public static Collection OpenPinned(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(
                $"collection: open pinned: '{directory}' does not exist. Hint: pin the collection there first (Collection.Pin), " +
                "and check that bpffs is mounted (mount -t bpf bpf /sys/fs/bpf)");
        }

        var maps = new Dictionary<string, BpfMap>(StringComparer.Ordinal);
        var programs = new Dictionary<string, BpfProgram>(StringComparer.Ordinal);
        try
        {
            foreach (var path in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(path);
                switch (KindOf(path))
                {
                    case BpfObjectKind.Map:
                        maps.Add(name, BpfMap.OpenPinned(path));
                        break;
                    case BpfObjectKind.Program:
                        programs.Add(name, BpfProgram.OpenPinned(path));
                        break;
                }
            }

            return new Collection(maps, programs, directory);
        }
        catch
        {
            DisposeAll(maps, programs);
            throw;
        }
    }

    /// <summary>The map named <paramref name="name"/>; the exception lists the names there are.</summary>
    public BpfMap Map(string name) => _maps.TryGetValue(name, out var map)
        ? map
        : throw new KeyNotFoundException($"collection has no map '{name}' (it has: {string.Join(", ", _maps.Keys.Order(StringComparer.Ordinal))})");

    /// <summary>The program named <paramref name="name"/>; the exception lists the names there are.</summary>
    public BpfProgram Program(string name) => _programs.TryGetValue(name, out var program)
        ? program
        : throw new KeyNotFoundException($"collection has no program '{name}' (it has: {string.Join(", ", _programs.Keys.Order(StringComparer.Ordinal))})");

    /// <summary>
    /// Pins every map and program at <c>directory/name</c>, creating the directory (and mounting bpffs at
    /// /sys/fs/bpf when the directory is under it). When one pin fails, the pins made so far are removed again and the
    /// failing object's exception is thrown.
    /// </summary>
    public void Pin(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var pinned = new List<Action>();
        try
        {
            foreach (var (name, map) in _maps)
            {
                map.Pin(Path.Combine(directory, name));
                pinned.Add(map.Unpin);
            }

            foreach (var (name, program) in _programs)
            {
                program.Pin(Path.Combine(directory, name));
                pinned.Add(program.Unpin);
            }
        }
        catch
        {
            foreach (var unpin in pinned)
            {
                unpin();
            }

            throw;
        }

        PinDirectory = directory;
    }

    /// <summary>Removes every pin this collection made or opened; the directory stays.</summary>
    public void Unpin()
    {
        foreach (var map in _maps.Values)
        {
            map.Unpin();
        }

        foreach (var program in _programs.Values)
        {
            program.Unpin();
        }

        PinDirectory = null;
    }

    public void Dispose() => DisposeAll(_maps, _programs);

    private static string? KindOf(string path)
    {
        var fd = BpfFileSystem.Open(path);
        if (fd < 0)
        {
            // Let the typed open report it, with the errno and its hint.
            return BpfObjectKind.Map;
        }

        try
        {
            return BpfObjectKind.Of(fd);
        }
        finally
        {
            Interop.Interop.Close(fd);
        }
    }

    private static void DisposeAll(Dictionary<string, BpfMap> maps, Dictionary<string, BpfProgram> programs)
    {
        foreach (var program in programs.Values)
        {
            program.Dispose();
        }

        foreach (var map in maps.Values)
        {
            map.Dispose();
        }
    }
}
