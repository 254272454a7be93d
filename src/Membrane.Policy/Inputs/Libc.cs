using System.Runtime.InteropServices;

namespace Membrane.Policy.Inputs;

/// <summary>
/// The few libc calls the input collector needs to tell a regular file from a FIFO, a device or a socket before
/// opening it, and to know a directory by device and inode. <c>statx(2)</c> rather than <c>stat(2)</c>: struct statx
/// has one layout on every architecture (include/uapi/linux/stat.h), struct stat has one per architecture.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int directoryFd, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    // fcntl(2) is variadic; F_GETFD takes no third argument, and a fixed two-int prototype passes the same registers.
    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command);

    // fcntl.h and asm-generic/fcntl.h.
    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_EMPTY_PATH = 0x1000;
    internal const int O_RDONLY = 0;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_NOCTTY = 0x100;
    internal const int O_CLOEXEC = 0x80000;
    internal const int F_GETFD = 1;
    internal const int FD_CLOEXEC = 1;

    // statx(2) mask bits, include/uapi/linux/stat.h: the type and mode, the inode and the size.
    internal const uint STATX_TYPE = 0x1;
    internal const uint STATX_MODE = 0x2;
    internal const uint STATX_INO = 0x100;
    internal const uint STATX_SIZE = 0x200;

    // errno values, asm-generic/errno-base.h and errno.h.
    internal const int ENOENT = 2;
    internal const int EINTR = 4;
    internal const int ENXIO = 6;
    internal const int EBADF = 9;
    internal const int EACCES = 13;
    internal const int ENOTDIR = 20;
    internal const int ELOOP = 40;

    /// <summary>The errno of the last call made with <c>SetLastError = true</c>.</summary>
    internal static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>strerror(3) in Membrane's style: "permission denied", not "Permission denied".</summary>
    internal static string Describe(int errno)
    {
        var text = Marshal.GetPInvokeErrorMessage(errno);
        return text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;
    }
}
