using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Source;
using Microsoft.Win32.SafeHandles;

namespace Membrane.Policy.Inputs;

/// <summary>
/// Turns the paths a user gives into texts: files as given, directories searched recursively for *.yaml, *.yml and
/// *.json, and <c>-</c> for standard input. Every input is read up to <see cref="InputOptions.MaxInputSize"/>.
/// A collector remembers what it has read, so one instance serves one command: standard input is read once, and a
/// directory or file reached twice (through a symbolic link, or given twice) is read once, with a note.
/// Nothing throws for a bad input: each problem is a finding that names the path.
/// </summary>
public sealed partial class InputCollector
{
    private readonly InputOptions _options;
    private readonly Dictionary<(ulong Device, ulong Inode), string> _readFiles = [];
    private bool _standardInputRead;

    public InputCollector(InputOptions? options = null)
    {
        _options = options ?? new InputOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxInputSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.MaxInputSize, InputSize.Maximum);
    }

    /// <summary>Reads every path: policy files, directories of them, or <c>-</c>.</summary>
    public InputSet Collect(IEnumerable<string> paths)
    {
        var plan = Plan(paths);
        var reads = new InputSet[plan.Count];
        for (var i = 0; i < reads.Length; i++)
        {
            reads[i] = plan.Read(i);
        }

        return plan.Merge(reads);
    }

    /// <summary>
    /// Walks every path as <see cref="Collect"/> does, with the same notes and errors, but leaves the regular files
    /// unread: the plan reads each when asked. Standard input and a pipe or device given by name are read now.
    /// </summary>
    public InputPlan Plan(IEnumerable<string> paths)
    {
        var run = new Findings();
        foreach (var path in paths)
        {
            if (path == "-")
            {
                ReadStandardInput(run);
            }
            else if (!FileStatus.TryGet(path, followLinks: true, out var status, out var errno))
            {
                run.Error(path, DescribeMissing(errno), code: "MBR1012");
            }
            else if (status.Type == FileType.Directory)
            {
                Walk(path, status, run);
            }
            else if (status.Type == FileType.Regular)
            {
                run.Plan(path, status, inDirectory: false);
            }
            else
            {
                ReadPath(path, status, inDirectory: false, once: true, run);
            }
        }

        return new InputPlan(this, run.Inputs, run.List);
    }

    /// <summary>
    /// Reads one file where only a file makes sense, such as the identities file; <paramref name="setting"/> names
    /// what takes it (<c>--identities</c>) in the error for a directory.
    /// </summary>
    public InputSet ReadFile(string path, string setting)
    {
        var run = new Findings();
        if (path == "-")
        {
            if (_standardInputRead)
            {
                run.Error(StandardInput.Name, $"standard input is already read as another input; {setting} cannot read it again", code: "MBR1013");
            }
            else
            {
                ReadStandardInput(run);
            }
        }
        else if (!FileStatus.TryGet(path, followLinks: true, out var status, out var errno))
        {
            run.Error(path, DescribeMissing(errno), code: "MBR1014");
        }
        else if (status.Type == FileType.Directory)
        {
            run.Add(path, Severity.Error, FieldErrorKind.Invalid, "is a directory", hint: $"{setting} takes a file", code: "MBR1015");
        }
        else
        {
            ReadPath(path, status, inDirectory: false, once: false, run);
        }

        return run.ToSet();
    }

    /// <summary>
    /// <c>-</c> twice reads standard input once: a stream cannot be read again, and the same text twice would only
    /// repeat its findings and warn that every policy in it is defined twice. The second <c>-</c> is a note.
    /// </summary>
    private void ReadStandardInput(Findings run)
    {
        if (_standardInputRead)
        {
            run.Note(StandardInput.Name, "skipped: '-' is given more than once; standard input is read once", code: "MBR1016");
            return;
        }

        _standardInputRead = true;
        Stream stream;
        try
        {
            stream = _options.StandardInput();
        }
        catch (IOException e)
        {
            run.Error(StandardInput.Name, $"cannot read: {e.Message}", code: "MBR1017");
            return;
        }

        using (stream)
        {
            ReadStream(StandardInput.Name, stream, expectedSize: 0, run);
        }
    }

    /// <summary>Reads one file of a plan; see <see cref="InputPlan.Read"/>.</summary>
    internal InputSet Read(string path, FileStatus status, bool inDirectory)
    {
        var run = new Findings();
        ReadPath(path, status, inDirectory, once: true, run);
        return run.ToSet();
    }

    /// <summary>
    /// Opens and reads one path. Inside a directory the open is non-blocking, so a file replaced by a FIFO after
    /// the walk saw it cannot hang the read (open(2) of a FIFO waits for a writer unless O_NONBLOCK, fifo(7)), and
    /// what was opened is checked to be the regular file the walk saw. A path given explicitly is opened as cat(1)
    /// would, so <c>/dev/stdin</c> or a <c>&lt;(command)</c> pipe works, within the size limit.
    /// </summary>
    private void ReadPath(string path, FileStatus status, bool inDirectory, bool once, Findings run)
    {
        if (once && status.Type == FileType.Regular && FirstRead(status.Identity) is { } first)
        {
            run.Note(path, $"skipped: the same file as {first}, already read", code: "MBR1018");
            return;
        }

        var flags = Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NOCTTY | (inDirectory ? Libc.O_NONBLOCK : 0);
        int fd, errno;
        do
        {
            fd = Libc.Open(path, flags);
            errno = fd < 0 ? Libc.LastErrno : 0;
        }
        while (fd < 0 && errno == Libc.EINTR);

        if (fd < 0)
        {
            // open(2) of a socket fails with ENXIO, whose strerror ("no such device or address") would mislead.
            run.Error(path, status.Type == FileType.Socket ? "cannot read: a socket, not a file" : $"cannot read: {Libc.Describe(errno)}", code: "MBR1019");
            return;
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (FileStatus.TryGet(fd, out var opened, out _))
        {
            if (inDirectory && (opened.Type != FileType.Regular || opened.Identity != status.Identity))
            {
                run.Note(path, "skipped: it changed while the directory was read; it is no longer the regular file it was", code: "MBR1020");
                return;
            }

            status = opened;
        }

        var read = status.Type == FileType.Regular
            ? ReadInput(path, run, (long limit, out string text) => BoundedReader.TryReadText(handle, limit, out text, (long)Math.Min(status.Size, long.MaxValue)))
            : ReadStream(path, new FileStream(handle, FileAccess.Read, bufferSize: 0), expectedSize: 0, run);
        if (read && status.Type == FileType.Regular)
        {
            // Plans read files on several threads at once.
            lock (_readFiles)
            {
                _readFiles.TryAdd(status.Identity, path);
            }
        }
    }

    private string? FirstRead((ulong Device, ulong Inode) identity)
    {
        lock (_readFiles)
        {
            return _readFiles.GetValueOrDefault(identity);
        }
    }

    private bool ReadStream(string name, Stream stream, long expectedSize, Findings run)
    {
        using (stream)
        {
            return ReadInput(name, run, (long limit, out string text) => BoundedReader.TryReadText(stream, limit, out text, expectedSize));
        }
    }

    /// <summary>A bounded read (<see cref="BoundedReader"/>): true when <paramref name="tryRead"/> gave a text within the size limit.</summary>
    private delegate bool BoundedRead(long limit, out string text);

    private bool ReadInput(string name, Findings run, BoundedRead tryRead)
    {
        try
        {
            if (tryRead(_options.MaxInputSize, out var text))
            {
                run.Inputs.Add(new InputPlan.Planned { Text = new InputText(name, text), FindingsBefore = run.List.Count });
                return true;
            }

            var setting = _options.MaxInputSizeSetting is { } s ? $" ({s})" : "";
            run.Add(name, Severity.Error, FieldErrorKind.TooMany, $"input is larger than the limit of {InputSize.Format(_options.MaxInputSize)}{setting}", code: "MBR1021");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            run.Error(name, $"cannot read: {e.Message}", code: "MBR1022");
        }

        return false;
    }

    private static string DescribeMissing(int errno) => errno switch
    {
        Libc.ENOENT => "no such file or directory",
        Libc.ELOOP => "a symbolic link loop",
        Libc.EACCES => "cannot read: permission denied",
        _ => $"cannot read: {Libc.Describe(errno)}",
    };

    private static string Describe(FileType type) => type switch
    {
        FileType.Fifo => "a FIFO",
        FileType.CharacterDevice => "a character device",
        FileType.BlockDevice => "a block device",
        FileType.Socket => "a socket",
        FileType.SymbolicLink => "a symbolic link",
        FileType.Directory => "a directory",
        FileType.Regular => "a regular file",
        _ => "a file of unknown type",
    };

    /// <summary>The inputs (texts read, or files planned) and findings of one call, in the order met.</summary>
    private sealed class Findings
    {
        private readonly HashSet<(ulong Device, ulong Inode)> _plannedFiles = [];

        public List<InputPlan.Planned> Inputs { get; } = [];

        public List<FieldError> List { get; } = [];

        public int ErrorCount => List.Count(f => f.Severity == Severity.Error);

        /// <summary>A regular file to read later; one that an earlier input also names is a repeat.</summary>
        public void Plan(string path, FileStatus status, bool inDirectory) => Inputs.Add(new InputPlan.Planned
        {
            Path = path,
            Status = status,
            InDirectory = inDirectory,
            Repeat = !_plannedFiles.Add(status.Identity),
            FindingsBefore = List.Count,
        });

        public void Note(string path, string detail, string code = "") => Add(path, Severity.Note, FieldErrorKind.Skipped, detail, code: code);

        public void Error(string path, string detail, string code = "") => Add(path, Severity.Error, FieldErrorKind.Invalid, detail, code: code);

        public void Add(string path, Severity severity, FieldErrorKind kind, string detail, string? hint = null, string code = "") =>
            List.Add(new FieldError { Severity = severity, Kind = kind, Path = "", Detail = detail, Hint = hint, Code = code, Position = new SourcePosition(path, 0, 0) });

        public InputSet ToSet() => new([.. Inputs.Select(i => i.Text!)], [.. List]);
    }
}
