using System.Runtime.ExceptionServices;
using Membrane.Netlink.Interop;

namespace Membrane.Netlink.Namespaces;

/// <summary>
/// An open network namespace: a descriptor of <c>/proc/.../ns/net</c> or of its bind mount under /run/netns, which
/// keeps the namespace alive while open. Named namespaces are created as iproute2's <c>ip netns add</c> does
/// (ip/ipnetns.c <c>netns_add</c>), so <c>ip netns exec NAME</c> sees them.
/// <para>
/// setns(2) moves only the calling thread, and a .NET pool thread left in another namespace would run unrelated work
/// there, so nothing here ever calls it on a pool thread: <see cref="Run{T}"/> uses a dedicated thread that enters the
/// namespace, runs the code and ends. A netlink socket opened on such a thread stays in the namespace for good
/// (<see cref="Rtnetlink.Open(NetworkNamespace)"/>), which is the cheaper way to make many requests there.
/// </para>
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    /// <summary>Where iproute2 keeps named namespaces (NETNS_RUN_DIR in ip/ip_common.h).</summary>
    public const string RunDirectory = "/run/netns";

    private NetworkNamespace(FileDescriptorHandle handle, string path, string? name)
    {
        Handle = handle;
        Path = path;
        Name = name;
    }

    /// <summary>The name under /run/netns, or null for a namespace opened by another path.</summary>
    public string? Name { get; }

    public string Path { get; }

    internal FileDescriptorHandle Handle { get; }

    /// <summary>How the namespace is named in messages: its name, else its path.</summary>
    public string DisplayName => Name ?? Path;

    /// <summary>
    /// Creates the named namespace <paramref name="name"/> and returns it open, as <c>ip netns add</c> does: a new
    /// namespace (<see cref="CreateUnnamed"/>), bind-mounted onto /run/netns/NAME (<see cref="Bind"/>), which keeps it
    /// alive and lets <c>ip netns exec NAME</c> see it.
    /// </summary>
    public static NetworkNamespace Create(string name)
    {
        using var unnamed = CreateUnnamed();
        return unnamed.Bind(name, $"netns add {name}");
    }

    /// <summary>
    /// Creates a new namespace that has no name yet and returns it open: it lives as long as a descriptor, a process or
    /// a mount refers to it, so one never named (<see cref="Bind"/>) goes when its last descriptor closes, even when
    /// the process is killed. That is what lets a caller record the namespace's <see cref="Inode"/> before it is
    /// visible under /run/netns, and later tell its own namespace from another of the same name.
    /// </summary>
    public static NetworkNamespace CreateUnnamed()
    {
        const string operation = "netns create";
        var fd = OnDedicatedThread(operation, () =>
        {
            if (Libc.Unshare(Libc.CLONE_NEWNET) != 0)
            {
                throw new NetlinkException($"{operation} (unshare)", Libc.LastErrno);
            }

            // This thread's namespace, not the process's: unshare moved only this thread. The descriptor keeps the
            // namespace alive once the thread ends.
            var opened = Libc.Open($"/proc/self/task/{Libc.GetTid()}/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            return opened >= 0 ? opened : throw new NetlinkException($"{operation} (open)", Libc.LastErrno);
        });
        var handle = new FileDescriptorHandle(fd);
        return new NetworkNamespace(handle, $"net:[{InodeOf(handle)}]", name: null);
    }

    /// <summary>
    /// Names this namespace <paramref name="name"/> as <c>ip netns attach</c> does (ip/ipnetns.c): /run/netns is made a
    /// shared mount (bind-mounted onto itself first if it is not a mount point), so that the bind mount propagates to
    /// every mount namespace that shares it; the file /run/netns/NAME is created exclusively (EEXIST when the name is
    /// taken); and the namespace is bind-mounted onto it through this descriptor. Returns the namespace opened by its
    /// name.
    /// </summary>
    public NetworkNamespace Bind(string name) => Bind(name, $"netns attach {name}");

    private NetworkNamespace Bind(string name, string operation)
    {
        var path = PathOf(name);
        EnsureRunDirectoryShared(operation);
        var fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NetlinkException(operation, Libc.LastErrno);
        }

        Libc.Close(fd);
        try
        {
            using (var lease = Handle.Acquire())
            {
                if (Libc.Mount($"/proc/self/fd/{lease.Fd}", path, "none", Libc.MS_BIND, null) != 0)
                {
                    throw new NetlinkException($"{operation} (bind mount onto {path})", Libc.LastErrno);
                }
            }

            return OpenPath(path, name);
        }
        catch
        {
            Libc.Umount2(path, Libc.MNT_DETACH);
            Libc.Unlink(path);
            throw;
        }
    }

    /// <summary>The namespace's inode number, the kernel's identity of it (what <c>ip netns identify</c> compares).</summary>
    public ulong Inode => InodeOf(Handle) ?? throw new InvalidOperationException($"{DisplayName} is not a network namespace");

    /// <summary>
    /// The inode of the namespace named <paramref name="name"/>, or null when there is no such name, or the file is not a
    /// namespace (an empty file is what a <c>netns add</c> killed before its bind mount leaves).
    /// </summary>
    public static ulong? InodeOfName(string name)
    {
        var fd = Libc.Open(PathOf(name), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return null;
        }

        using var handle = new FileDescriptorHandle(fd);
        return InodeOf(handle);
    }

    /// <summary>Removes /run/netns/NAME when it is only an empty file, never mounted: the leftover of a killed <c>netns add</c>.</summary>
    public static bool RemoveIfUnmounted(string name)
    {
        var path = PathOf(name);
        return File.Exists(path) && InodeOfName(name) is null && new FileInfo(path).Length == 0 && Libc.Unlink(path) == 0;
    }

    /// <summary>
    /// The inode behind a descriptor when it is a namespace: a file of nsfs, the file system every /proc/*/ns/* entry
    /// and every bind mount of one lives on, known by its device (that of /proc/self/ns/net); null for any other file.
    /// </summary>
    private static unsafe ulong? InodeOf(FileDescriptorHandle handle)
    {
        using var lease = handle.Acquire();
        StatxBuffer file, nsfs;
        if (Libc.Statx(lease.Fd, "", Libc.AT_EMPTY_PATH, Libc.STATX_INO, &file) != 0 ||
            Libc.Statx(-100 /* AT_FDCWD */, "/proc/self/ns/net", 0, Libc.STATX_INO, &nsfs) != 0)
        {
            return null;
        }

        return file.DeviceMajor == nsfs.DeviceMajor && file.DeviceMinor == nsfs.DeviceMinor ? file.Inode : null;
    }

    /// <summary>Opens the named namespace <paramref name="name"/> (under /run/netns).</summary>
    public static NetworkNamespace Open(string name) => OpenPath(PathOf(name), name);

    /// <summary>Opens a namespace by path: a bind mount, or <c>/proc/PID/ns/net</c>.</summary>
    public static NetworkNamespace OpenPath(string path) => OpenPath(path, name: null);

    /// <summary>The namespace of the calling thread, opened.</summary>
    public static NetworkNamespace OpenCurrent() => OpenPath($"/proc/self/task/{Libc.GetTid()}/ns/net", name: null);

    /// <summary>Whether /run/netns/<paramref name="name"/> exists.</summary>
    public static bool Exists(string name) => File.Exists(PathOf(name));

    /// <summary>
    /// Deletes the named namespace as <c>ip netns delete</c> does: unmounts the bind mount (lazily, MNT_DETACH, so an
    /// open descriptor elsewhere does not make it fail) and removes the file. The kernel destroys the namespace, and
    /// the interfaces in it (a veth's peer too), once no process, descriptor or mount refers to it.
    /// </summary>
    public static void Delete(string name)
    {
        var path = PathOf(name);
        var operation = $"netns delete {name}";
        if (Libc.Umount2(path, Libc.MNT_DETACH) != 0)
        {
            throw new NetlinkException($"{operation} (umount {path})", Libc.LastErrno);
        }

        if (Libc.Unlink(path) != 0)
        {
            throw new NetlinkException($"{operation} (unlink {path})", Libc.LastErrno);
        }
    }

    /// <summary>Runs <paramref name="action"/> on a dedicated thread that has entered this namespace, and returns its
    /// result or rethrows its exception. The thread ends afterwards; it never returns to the thread pool.</summary>
    public T Run<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return OnDedicatedThread($"netns exec {DisplayName}", () =>
        {
            using (var lease = Handle.Acquire())
            {
                if (Libc.Setns(lease.Fd, Libc.CLONE_NEWNET) != 0)
                {
                    throw new NetlinkException($"netns exec {DisplayName} (setns)", Libc.LastErrno);
                }
            }

            return action();
        });
    }

    public void Run(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Run(() =>
        {
            action();
            return 0;
        });
    }

    public void Dispose() => Handle.Dispose();

    public override string ToString() => $"netns {DisplayName}";

    private static string PathOf(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/') || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a namespace name: it must not contain '/' or be '.' or '..'", nameof(name));
        }

        return $"{RunDirectory}/{name}";
    }

    private static NetworkNamespace OpenPath(string path, string? name)
    {
        var fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        return fd >= 0
            ? new NetworkNamespace(new FileDescriptorHandle(fd), path, name)
            : throw new NetlinkException($"netns open {name ?? path}", Libc.LastErrno);
    }

    /// <summary>
    /// Makes /run/netns exist and be a shared mount, as ip/ipnetns.c <c>netns_add</c> does: mounting with
    /// MS_SHARED|MS_REC fails with EINVAL when the directory is not a mount point, so it is bind-mounted onto itself
    /// first, once.
    /// </summary>
    private static void EnsureRunDirectoryShared(string operation)
    {
        if (Libc.Mkdir(RunDirectory, 0b111_101_101) != 0 && Libc.LastErrno != Errno.EEXIST)
        {
            throw new NetlinkException($"{operation} (mkdir {RunDirectory})", Libc.LastErrno);
        }

        var madeMountPoint = false;
        while (Libc.Mount("", RunDirectory, "none", Libc.MS_SHARED | Libc.MS_REC, null) != 0)
        {
            var errno = Libc.LastErrno;
            if (errno != Errno.EINVAL || madeMountPoint)
            {
                throw new NetlinkException($"{operation} (make {RunDirectory} a shared mount)", errno);
            }

            if (Libc.Mount(RunDirectory, RunDirectory, "none", Libc.MS_BIND | Libc.MS_REC, null) != 0)
            {
                throw new NetlinkException($"{operation} (bind mount {RunDirectory} onto itself)", Libc.LastErrno);
            }

            madeMountPoint = true;
        }
    }

    private static T OnDedicatedThread<T>(string description, Func<T> action)
    {
        T? result = default;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = action();
            }
            catch (Exception exception)
            {
                failure = ExceptionDispatchInfo.Capture(exception);
            }
        })
        {
            Name = description,
            IsBackground = true,
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result!;
    }
}
