using System.Runtime.InteropServices;

namespace Membrane.Bpf;

/// <summary>
/// A <c>bpf(2)</c> call failed. It names the command, carries the errno, and gives a hint about the usual cause, as
/// cilium/ebpf does ("map create: operation not permitted (MEMLOCK may be too low…)").
/// </summary>
public class BpfException : Exception
{
    public BpfException(BpfCommand command, int errno)
        : this(command, errno, context: null, detail: null, innerException: null)
    {
    }

    /// <param name="context">Text before the command, naming the object and operation (<c>map 'x': update: </c>).</param>
    /// <param name="detail">Text after the hint, on its own lines (a verifier log's tail).</param>
    protected BpfException(BpfCommand command, int errno, string? context, string? detail, Exception? innerException)
        : base(Describe(command, errno, context, detail), innerException)
    {
        Command = command;
        Errno = errno;
        Hint = HintFor(command, errno);
    }

    /// <summary>The command that failed.</summary>
    public BpfCommand Command { get; }

    /// <summary>The errno the kernel returned.</summary>
    public int Errno { get; }

    /// <summary>The usual cause of this errno for this command, or null when there is nothing useful to say.</summary>
    public string? Hint { get; }

    private static string Describe(BpfCommand command, int errno, string? context, string? detail)
    {
        var text = $"{context}{CommandName(command)}: {Bpf.Errno.Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})";
        var hint = HintFor(command, errno);
        text = hint is null ? text : $"{text}. Hint: {hint}";
        return detail is null ? text : $"{text}\n{detail}";
    }

    /// <summary>The uapi spelling of a command, e.g. <c>BPF_MAP_CREATE</c>, so messages can be searched for.</summary>
    public static string CommandName(BpfCommand command) => command switch
    {
        BpfCommand.MapCreate => "BPF_MAP_CREATE",
        BpfCommand.MapLookupElem => "BPF_MAP_LOOKUP_ELEM",
        BpfCommand.MapUpdateElem => "BPF_MAP_UPDATE_ELEM",
        BpfCommand.MapDeleteElem => "BPF_MAP_DELETE_ELEM",
        BpfCommand.MapGetNextKey => "BPF_MAP_GET_NEXT_KEY",
        BpfCommand.ProgLoad => "BPF_PROG_LOAD",
        BpfCommand.ObjPin => "BPF_OBJ_PIN",
        BpfCommand.ObjGet => "BPF_OBJ_GET",
        BpfCommand.ProgTestRun => "BPF_PROG_TEST_RUN",
        BpfCommand.ObjGetInfoByFd => "BPF_OBJ_GET_INFO_BY_FD",
        BpfCommand.MapLookupBatch => "BPF_MAP_LOOKUP_BATCH",
        BpfCommand.MapLookupAndDeleteBatch => "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
        BpfCommand.MapUpdateBatch => "BPF_MAP_UPDATE_BATCH",
        BpfCommand.MapDeleteBatch => "BPF_MAP_DELETE_BATCH",
        BpfCommand.LinkCreate => "BPF_LINK_CREATE",
        BpfCommand.LinkDetach => "BPF_LINK_DETACH",
        _ => $"bpf command {(int)command} ({command})",
    };

    /// <summary>The usual cause of <paramref name="errno"/> from <paramref name="command"/>.</summary>
    public static string? HintFor(BpfCommand command, int errno) => (command, errno) switch
    {
        (BpfCommand.ObjPin, Bpf.Errno.EPERM or Bpf.Errno.EINVAL) =>
            "the path must be on a bpf file system (mount -t bpf bpf /sys/fs/bpf), and pinning needs root or CAP_BPF",
        (_, Bpf.Errno.EPERM) =>
            "bpf() needs root or CAP_BPF (plus CAP_NET_ADMIN for network programs and links); " +
            "on kernels before 5.11 RLIMIT_MEMLOCK may also be too low",
        (BpfCommand.MapCreate, Bpf.Errno.E2BIG) =>
            "the key size, value size or max_entries exceeds what the kernel allows for this map type",
        (BpfCommand.MapUpdateElem or BpfCommand.MapUpdateBatch, Bpf.Errno.E2BIG) =>
            "the map is full (max_entries reached) or the key is out of range for an array",
        (BpfCommand.ProgLoad, Bpf.Errno.E2BIG) =>
            "the program is too large: more instructions than the kernel accepts or more than 1M processed by the verifier",
        (_, Bpf.Errno.E2BIG) =>
            "the attribute carries non-zero fields this kernel does not know; the kernel is older than the feature needs",
        (BpfCommand.ProgLoad, Bpf.Errno.ENOSPC) =>
            "the verifier log did not fit in its buffer: retry with a larger log (ProgramLoadOptions.LogSize)",
        (BpfCommand.ProgTestRun, Bpf.Errno.ENOSPC) =>
            "the output buffer is smaller than the packet or context the program left behind",
        (BpfCommand.ProgLoad, Bpf.Errno.EACCES or Bpf.Errno.EINVAL) =>
            "the verifier rejected the program; the verifier log says why",
        (BpfCommand.ProgTestRun, Bpf.Errno.EINVAL) =>
            "the input is too short or too long for this program type (SCHED_CLS and XDP need at least 14 bytes, an Ethernet header)",
        (BpfCommand.MapCreate, Bpf.Errno.EINVAL) =>
            "the kernel rejected the map attributes: LPM tries need the NoPrealloc flag and a key of 4 bytes plus data, " +
            "ring buffers need a power-of-two size that is a multiple of the page size and zero key and value sizes",
        (BpfCommand.LinkCreate, Bpf.Errno.EINVAL) =>
            "the kernel does not support this attach type for this program (tcx needs a kernel with tcx, Linux 6.6 or a backport, and a SCHED_CLS program; Tcx.IsSupported probes for it)",
        (BpfCommand.LinkCreate, Bpf.Errno.ENODEV) =>
            "no interface has that index in the calling thread's network namespace",
        (BpfCommand.ObjPin, Bpf.Errno.EEXIST) => "something is already pinned at that path; unpin it first",
        (BpfCommand.ObjPin or BpfCommand.ObjGet, Bpf.Errno.ENOENT) =>
            "the path does not exist, or its directory is not on a bpf file system",
        (BpfCommand.MapUpdateElem, Bpf.Errno.EEXIST) => "the key exists and the update asked for NoExist",
        (BpfCommand.MapUpdateElem, Bpf.Errno.ENOENT) => "the key does not exist and the update asked for Exist",
        (_, Bpf.Errno.ENOTSUPP or Bpf.Errno.EOPNOTSUPP) => "this map or program type, or this kernel, does not support the operation",
        (_, Bpf.Errno.EINVAL) => "the kernel rejected an attribute: a size, a flag or a type does not fit this object",
        (_, Bpf.Errno.EBADF) => "the file descriptor is closed or is not a BPF object of the right kind",
        (_, Bpf.Errno.ENOMEM) => "the kernel could not allocate memory; on kernels before 5.11 raise RLIMIT_MEMLOCK",
        (_, Bpf.Errno.EFAULT) => "the kernel could not read or write a buffer the toolkit passed (a toolkit bug)",
        _ => null,
    };
}
