namespace Membrane.Policy.Inputs;

/// <summary>What <c>statx(2)</c> says about a path or a descriptor: its type, identity and size.</summary>
internal readonly record struct FileStatus(FileType Type, ulong Device, ulong Inode, ulong Size)
{
    // S_IFMT and the type bits, inode(7).
    private const int TypeMask = 0xF000;

    /// <summary>The (device, inode) pair that names a file whatever path reaches it.</summary>
    public (ulong Device, ulong Inode) Identity => (Device, Inode);

    /// <summary>The status of <paramref name="path"/>, following symbolic links or not; or the errno.</summary>
    public static unsafe bool TryGet(string path, bool followLinks, out FileStatus status, out int errno) =>
        TryGet(Libc.AT_FDCWD, path, followLinks ? 0 : Libc.AT_SYMLINK_NOFOLLOW, out status, out errno);

    /// <summary>The status of an open descriptor (<c>AT_EMPTY_PATH</c>): what was opened, not what the path is now.</summary>
    public static bool TryGet(int fd, out FileStatus status, out int errno) =>
        TryGet(fd, "", Libc.AT_EMPTY_PATH, out status, out errno);

    private static unsafe bool TryGet(int directoryFd, string path, int flags, out FileStatus status, out int errno)
    {
        StatxBuffer buffer;
        int result;
        do
        {
            result = Libc.Statx(directoryFd, path, flags, Libc.STATX_TYPE | Libc.STATX_MODE | Libc.STATX_INO | Libc.STATX_SIZE, &buffer);
            errno = result == 0 ? 0 : Libc.LastErrno;
        }
        while (result != 0 && errno == Libc.EINTR);

        if (result != 0)
        {
            status = default;
            return false;
        }

        // makedev(3) packs major and minor differently per libc; any injective pair serves as a key.
        var device = ((ulong)buffer.DeviceMajor << 32) | buffer.DeviceMinor;
        status = new FileStatus(TypeOf(buffer.Mode), device, buffer.Inode, buffer.Size);
        return true;
    }

    internal static FileType TypeOf(int mode) => (mode & TypeMask) switch
    {
        0x8000 => FileType.Regular,          // S_IFREG
        0x4000 => FileType.Directory,        // S_IFDIR
        0xA000 => FileType.SymbolicLink,     // S_IFLNK
        0x1000 => FileType.Fifo,             // S_IFIFO
        0x2000 => FileType.CharacterDevice,  // S_IFCHR
        0x6000 => FileType.BlockDevice,      // S_IFBLK
        0xC000 => FileType.Socket,           // S_IFSOCK
        _ => FileType.Unknown,
    };
}
