namespace Membrane.Policy.Inputs;

/// <summary>The directory walk.</summary>
public sealed partial class InputCollector
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    private static readonly EnumerationOptions OneLevel = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = false,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    private readonly Dictionary<(ulong Device, ulong Inode), string> _visitedDirectories = [];

    /// <summary>
    /// Walks <paramref name="root"/> without recursion (a deep tree cannot overflow the stack), then plans the
    /// policy files found, in ordinal order of their paths. Directories are known by device and inode, as find(1)
    /// knows them, so each is listed once, whichever path reaches it: a symbolic link to one already visited is
    /// a note, and a link loop ends there. The real tree is walked before any link to a directory is followed, so
    /// a directory is named by its own path rather than by a link's. Only regular files are read; a FIFO would
    /// block and a device would never end.
    /// </summary>
    private void Walk(string root, FileStatus status, Findings run)
    {
        if (_visitedDirectories.TryGetValue(status.Identity, out var seen))
        {
            run.Note(root, $"skipped: the same directory as {seen}, already visited", code: "MBR1003");
            return;
        }

        _visitedDirectories.Add(status.Identity, root);
        var errorsBefore = run.ErrorCount;
        var files = new List<(string Path, FileStatus Status)>();
        var links = new Queue<(string Path, FileStatus Target)>();
        var pending = new Stack<string>();
        pending.Push(root);
        while (true)
        {
            while (pending.TryPop(out var directory))
            {
                List(directory, pending, links, files, run);
            }

            if (!links.TryDequeue(out var link))
            {
                break;
            }

            if (_visitedDirectories.TryGetValue(link.Target.Identity, out var first))
            {
                run.Note(link.Path, $"skipped: a symbolic link to a directory already visited ({first})", code: "MBR1004");
                continue;
            }

            _visitedDirectories.Add(link.Target.Identity, link.Path);
            pending.Push(link.Path);
        }

        if (files.Count == 0 && run.ErrorCount == errorsBefore)
        {
            run.Error(root, "no *.yaml, *.yml or *.json files in this directory", code: "MBR1005");
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        foreach (var (path, fileStatus) in files)
        {
            run.Plan(path, fileStatus, inDirectory: true);
        }
    }

    /// <summary>Sorts one directory's entries: subdirectories to walk, links to directories for later, policy files.</summary>
    private void List(string directory, Stack<string> pending, Queue<(string, FileStatus)> links, List<(string, FileStatus)> files, Findings run)
    {
        List<string> entries;
        try
        {
            entries = [.. Directory.EnumerateFileSystemEntries(directory, "*", OneLevel)];
        }
        catch (UnauthorizedAccessException)
        {
            run.Error(directory, "cannot read this directory: permission denied", code: "MBR1006");
            return;
        }
        catch (IOException e)
        {
            run.Error(directory, $"cannot read this directory: {e.Message}", code: "MBR1007");
            return;
        }

        entries.Sort(StringComparer.Ordinal);
        var subdirectories = new List<string>();
        foreach (var entry in entries)
        {
            var isPolicyName = Extensions.Contains(Path.GetExtension(entry), StringComparer.OrdinalIgnoreCase);
            if (!FileStatus.TryGet(entry, followLinks: false, out var own, out var errno))
            {
                // Gone between the listing and now: nothing was there to read.
                if (errno != Libc.ENOENT)
                {
                    run.Note(entry, $"skipped: {Libc.Describe(errno)}", code: "MBR1008");
                }

                continue;
            }

            var viaLink = own.Type == FileType.SymbolicLink;
            if ((viaLink ? Follow(entry, run) : own) is not { } status)
            {
                continue;
            }

            switch (status.Type)
            {
                case FileType.Directory when viaLink:
                    links.Enqueue((entry, status));
                    break;
                case FileType.Directory when _visitedDirectories.TryGetValue(status.Identity, out var seen):
                    // A bind mount of an ancestor, or a directory first reached through a link.
                    run.Note(entry, $"skipped: the same directory as {seen}, already visited", code: "MBR1009");
                    break;
                case FileType.Directory:
                    _visitedDirectories.Add(status.Identity, entry);
                    subdirectories.Add(entry);
                    break;
                case FileType.Regular:
                    if (isPolicyName)
                    {
                        files.Add((entry, status));
                    }

                    break;
                default:
                    if (isPolicyName)
                    {
                        var what = viaLink ? $"a symbolic link to {Describe(status.Type)}, not to a regular file" : $"{Describe(status.Type)}, not a regular file";
                        run.Note(entry, $"skipped: {what}; in a directory only regular files are read", code: "MBR1010");
                    }

                    break;
            }
        }

        // Last pushed is walked first: subdirectories in ordinal order.
        for (var i = subdirectories.Count - 1; i >= 0; i--)
        {
            pending.Push(subdirectories[i]);
        }
    }

    /// <summary>What a link points to, or null after a note. A broken link or a loop is noted whatever its name,
    /// since it may have meant a directory.</summary>
    private static FileStatus? Follow(string entry, Findings run)
    {
        if (FileStatus.TryGet(entry, followLinks: true, out var target, out var errno))
        {
            return target;
        }

        var detail = errno switch
        {
            Libc.ELOOP => "skipped: a symbolic link loop",
            Libc.ENOENT or Libc.ENOTDIR => $"skipped: a broken symbolic link (to {LinkTarget(entry)})",
            _ => $"skipped: a symbolic link that cannot be followed: {Libc.Describe(errno)}",
        };
        run.Note(entry, detail, code: "MBR1011");
        return null;
    }

    private static string LinkTarget(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget ?? "?";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
