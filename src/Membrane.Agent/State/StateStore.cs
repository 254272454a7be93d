using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Win32.SafeHandles;

namespace Membrane.Agent.State;

/// <summary>
/// The agent's state directory: one JSON file per object, in a folder per kind (<c>endpoints/web.json</c>). A write
/// goes to a temporary file in the same folder, is fsynced, renamed over the old file (rename(2) is atomic within a
/// file system) and the folder is fsynced, so after a crash a file is the old version or the new one, never a torn mix.
/// A file that does not read is moved aside to <c>NAME.corrupt-TIMESTAMP</c> and reported, never silently dropped.
/// The directory is made 0700: it holds what the agent enforces. Every failure of the file system, whatever its errno,
/// is a <see cref="StateStoreException"/> naming the operation and the path.
/// </summary>
public sealed class StateStore
{
    private readonly Lock _lock = new();

    public StateStore(string directory)
    {
        Directory = Path.GetFullPath(directory);
        Guard("create", Directory, () => CreatePrivate(Directory));
    }

    public string Directory { get; }

    public void Write<T>(string kind, string name, T value, JsonTypeInfo<T> type)
    {
        var folder = Folder(kind);
        var path = Path.Combine(folder, name + ".json");
        var temporary = Path.Combine(folder, $".{name}.json.tmp-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}");
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, type);
        lock (_lock)
        {
            Guard("write", path, () =>
            {
                try
                {
                    using (var file = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None))
                    {
                        RandomAccess.Write(file, bytes, 0);
                        RandomAccess.FlushToDisk(file);
                    }

                    File.Move(temporary, path, overwrite: true);
                    SyncDirectory(folder);
                }
                finally
                {
                    if (File.Exists(temporary))
                    {
                        File.Delete(temporary);
                    }
                }
            });
        }
    }

    /// <summary>Runs a file-system operation; any failure becomes a <see cref="StateStoreException"/> naming <paramref name="path"/>.</summary>
    private static void Guard(string operation, string path, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not StateStoreException)
        {
            throw new StateStoreException(operation, path, e);
        }
    }

    public bool Delete(string kind, string name)
    {
        var path = Path.Combine(Folder(kind), name + ".json");
        lock (_lock)
        {
            if (!File.Exists(path))
            {
                return false;
            }

            Guard("delete", path, () =>
            {
                File.Delete(path);
                SyncDirectory(Path.GetDirectoryName(path)!);
            });
            return true;
        }
    }

    /// <summary>
    /// Every object of a kind, in name order, and the files that did not read, each already moved aside with the
    /// reason. Leftover temporary files of an interrupted write are removed: the rename never happened, so the old
    /// file, if any, is the state.
    /// </summary>
    public (IReadOnlyList<(string Name, T Value)> Objects, IReadOnlyList<StateFileProblem> Problems) ReadAll<T>(string kind, JsonTypeInfo<T> type)
    {
        var folder = Folder(kind);
        var objects = new List<(string, T)>();
        var problems = new List<StateFileProblem>();
        lock (_lock)
        {
            RemoveLeftovers(folder);
            foreach (var path in System.IO.Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileNameWithoutExtension(path);
                string? reason;
                try
                {
                    var value = JsonSerializer.Deserialize(File.ReadAllBytes(path), type);
                    if (value is not null)
                    {
                        objects.Add((name, value));
                        continue;
                    }

                    reason = "the file holds null";
                }
                catch (JsonException e)
                {
                    reason = e.Message;
                }

                var aside = $"{path}.corrupt-{DateTime.UtcNow:yyyyMMddTHHmmssfffZ}";
                Guard("set aside", path, () => File.Move(path, aside));
                problems.Add(new StateFileProblem(path, aside, reason));
            }
        }

        return (objects, problems);
    }

    /// <summary>
    /// The path of one object's file, after removing what an interrupted write of its kind left (the rename never
    /// happened, so the file, if any, is the state), for a reader that must not have it set aside when it does not read.
    /// </summary>
    public string PathOf(string kind, string name)
    {
        var folder = Folder(kind);
        lock (_lock)
        {
            RemoveLeftovers(folder);
        }

        return Path.Combine(folder, name + ".json");
    }

    private static void RemoveLeftovers(string folder)
    {
        foreach (var leftover in System.IO.Directory.GetFiles(folder, ".*.json.tmp-*"))
        {
            Guard("remove", leftover, () => File.Delete(leftover));
        }
    }

    /// <summary>
    /// Takes the directory for this process: two agents on one state directory would overwrite each other's files and
    /// fight over the same endpoints, so the second is refused. The lock is an flock on <c>agent.lock</c> (what .NET's
    /// FileShare.None takes on Linux), released by the kernel when the process ends, even by SIGKILL.
    /// </summary>
    // What .NET reports when flock(LOCK_EX | LOCK_NB) finds the lock taken: on Linux the IOException's HResult is the
    // errno, EWOULDBLOCK (11, asm-generic/errno-base.h EAGAIN); elsewhere ERROR_SHARING_VIOLATION as an HRESULT.
    internal static bool IsTaken(IOException e) => e.HResult is 11 or unchecked((int)0x80070020);

    public IDisposable Lock()
    {
        var path = Path.Combine(Directory, "agent.lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsTaken(e))
        {
            throw new AgentStateException(
                $"state directory {Directory} is in use by another agent ({e.Message}). Hint: give each agent its own --state-dir", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentStateException(
                $"state directory {Directory} cannot be used: {new StateStoreException("lock", path, e).Message.TrimEnd('.')}. The agent does not start, " +
                "so the kernel keeps enforcing what it had. Hint: make the directory writable to root again", e);
        }
    }

    /// <summary>
    /// Moves a file that read but does not make sense (an address that is not one, a kind this version does not know)
    /// aside as <see cref="ReadAll{T}"/> does with one that does not read, and reports it.
    /// </summary>
    public StateFileProblem SetAside(string kind, string name, string reason)
    {
        var path = Path.Combine(Folder(kind), name + ".json");
        var aside = $"{path}.corrupt-{DateTime.UtcNow:yyyyMMddTHHmmssfffZ}";
        lock (_lock)
        {
            Guard("set aside", path, () =>
            {
                File.Move(path, aside);
                SyncDirectory(Path.GetDirectoryName(path)!);
            });
        }

        return new StateFileProblem(path, aside, reason);
    }

    private string Folder(string kind)
    {
        var folder = Path.Combine(Directory, kind);
        Guard("create", folder, () => CreatePrivate(folder));
        return folder;
    }

    private static void CreatePrivate(string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the agent's state directory needs Linux");
        }

        System.IO.Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>fsync on the directory makes the rename itself durable (rename(2) changes the directory, not the file).</summary>
    private static void SyncDirectory(string folder)
    {
        using var handle = new SafeFileHandle(Libc.Open(folder), ownsHandle: true);
        if (!handle.IsInvalid)
        {
            Libc.Fsync(handle);
        }
    }
}
