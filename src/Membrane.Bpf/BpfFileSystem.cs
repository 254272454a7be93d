using Membrane.Bpf.Interop;

namespace Membrane.Bpf;

/// <summary>
/// The bpf file system, where maps, programs and links are pinned so that they outlive the process that made them.
/// A pin is a file; removing the file (<see cref="Unpin"/>, or <c>rm</c>) drops that reference.
/// </summary>
public static class BpfFileSystem
{
    /// <summary>Where systemd and most tools mount bpffs.</summary>
    public const string DefaultMountPoint = "/sys/fs/bpf";

    private const string FileSystemType = "bpf";

    private static readonly Lock MountLock = new();

    /// <summary>Whether a bpf file system is mounted exactly at <paramref name="mountPoint"/> (per /proc/self/mounts).</summary>
    public static bool IsMounted(string mountPoint = DefaultMountPoint)
    {
        var target = Path.TrimEndingDirectorySeparator(mountPoint);
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            // Fields: source, mount point, type, options, dump, pass (fstab(5)); spaces in paths are octal-escaped.
            var fields = line.Split(' ');
            if (fields.Length >= 3 && fields[2] == FileSystemType && fields[1] == target)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Mounts bpffs at <paramref name="mountPoint"/> unless it is mounted there already, as <c>mount -t bpf bpf
    /// /sys/fs/bpf</c> would. Needs CAP_SYS_ADMIN. The mount is private to nothing: it stays after the process ends,
    /// which is the point of pinning.
    /// </summary>
    public static void EnsureMounted(string mountPoint = DefaultMountPoint)
    {
        lock (MountLock)
        {
            if (IsMounted(mountPoint))
            {
                return;
            }

            Directory.CreateDirectory(mountPoint);
            // mode=0700: pins are as sensitive as the objects they keep alive; the kernel default is 0777 with sticky bit.
            if (Interop.Interop.Mount(FileSystemType, mountPoint, FileSystemType, 0, "mode=0700") != 0)
            {
                var errno = Interop.Interop.LastErrno;
                throw new IOException(
                    $"mounting bpffs at {mountPoint} failed: {Errno.Name(errno)}. Hint: mounting needs root (CAP_SYS_ADMIN); " +
                    $"or mount it yourself: mount -t bpf bpf {mountPoint}");
            }
        }
    }

    /// <summary>
    /// Removes the pin at <paramref name="path"/>. The object lives on while any descriptor, other pin or attachment
    /// still holds it. Returns false when nothing was pinned there.
    /// </summary>
    public static bool Unpin(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>Pins <paramref name="descriptor"/> at <paramref name="path"/>, creating its directories and mounting
    /// bpffs at the default place first when the path lies under it.</summary>
    internal static unsafe int Pin(BpfFileDescriptor descriptor, string path)
    {
        PrepareDirectory(path);
        var bytes = NulTerminated(path);
        using var lease = descriptor.Acquire();
        fixed (byte* pathname = bytes)
        {
            var attr = new ObjPinAttr { Pathname = (ulong)pathname, BpfFd = lease.Fd };
            return BpfSyscall.Invoke(BpfCommand.ObjPin, ref attr);
        }
    }

    /// <summary>Opens the object pinned at <paramref name="path"/>; returns the descriptor or the negated errno.</summary>
    internal static unsafe int Open(string path)
    {
        var bytes = NulTerminated(path);
        fixed (byte* pathname = bytes)
        {
            var attr = new ObjPinAttr { Pathname = (ulong)pathname };
            return BpfSyscall.Invoke(BpfCommand.ObjGet, ref attr);
        }
    }

    /// <summary>
    /// Opens the object pinned at <paramref name="path"/> and checks that it is of the <paramref name="expectedKind"/>
    /// (a <see cref="BpfObjectKind"/> constant). Returns the descriptor, or the negated errno when nothing can be
    /// opened there. A pin of another kind would otherwise fail later and obscurely (a link opened as a map reads
    /// link info as map info), so it is closed and refused here with an <see cref="ArgumentException"/> naming the
    /// path and what it holds.
    /// </summary>
    internal static int OpenPinned(string path, string expectedKind)
    {
        var fd = Open(path);
        if (fd < 0)
        {
            return fd;
        }

        var kind = BpfObjectKind.Of(fd);
        if (kind == expectedKind)
        {
            return fd;
        }

        Interop.Interop.Close(fd);
        throw new ArgumentException(
            $"'{path}' pins {BpfObjectKind.Describe(kind)}, not {BpfObjectKind.Describe(expectedKind)}", nameof(path));
    }

    /// <summary>
    /// Whether <paramref name="path"/> pins the very object <paramref name="descriptor"/> refers to: the same kind and
    /// the same kernel id. A pin that was removed, or replaced by another object at the same path, is not. This is how a
    /// process that relies on its pins (a link with no pin detaches when its last descriptor closes) checks they are
    /// still there.
    /// </summary>
    internal static bool Holds(string path, BpfFileDescriptor descriptor, string kind)
    {
        var fd = Open(path);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            using var lease = descriptor.Acquire();
            return BpfObjectKind.Of(fd) == kind && IdOf(fd) is { } pinned && IdOf((int)lease.Fd) == pinned;
        }
        finally
        {
            Interop.Interop.Close(fd);
        }
    }

    /// <summary>
    /// The kernel id of any BPF object: bpf_map_info, bpf_prog_info and bpf_link_info all begin with the type and the
    /// id (two u32, uapi linux/bpf.h), and the kernel fills only as much of the info as it is given.
    /// </summary>
    private static unsafe uint? IdOf(int fd)
    {
        var head = stackalloc uint[2];
        var attr = new ObjGetInfoAttr { BpfFd = (uint)fd, InfoLen = 8, Info = (ulong)head };
        return BpfSyscall.Invoke(BpfCommand.ObjGetInfoByFd, ref attr) < 0 ? null : head[1];
    }

    private static void PrepareDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        if (full.StartsWith(DefaultMountPoint + "/", StringComparison.Ordinal))
        {
            EnsureMounted();
        }

        var directory = Path.GetDirectoryName(full);
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
    }

    private static byte[] NulTerminated(string path)
    {
        var length = System.Text.Encoding.UTF8.GetByteCount(path);
        var bytes = new byte[length + 1];
        System.Text.Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }
}
