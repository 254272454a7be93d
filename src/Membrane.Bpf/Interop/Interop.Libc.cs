using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>
/// The libc functions the toolkit calls. libc is the only native library Membrane uses; <c>bpf(2)</c> has no libc
/// wrapper, so it goes through <c>syscall(2)</c> in <see cref="BpfSyscall"/>, the one choke point.
/// </summary>
internal static unsafe partial class Interop
{
    private const string Libc = "libc";

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall(long number, long cmd, void* attr, long size);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mount(string source, string target, string fileSystemType, ulong flags, string? data);

    [LibraryImport(Libc, EntryPoint = "mmap", SetLastError = true)]
    internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Libc, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(nint address, nuint length);

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(int epfd, int op, int fd, void* eventStruct);

    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(int epfd, void* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport(Libc, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Libc, EntryPoint = "setns", SetLastError = true)]
    internal static partial int Setns(int fd, int namespaceType);

    [LibraryImport(Libc, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint IfNameToIndex(string name);

    [LibraryImport(Libc, EntryPoint = "getpagesize")]
    internal static partial int GetPageSize();

    // open(2) flags, asm-generic/fcntl.h.
    internal const int O_RDONLY = 0;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_NONBLOCK = 0x800;

    // mmap(2), asm-generic/mman-common.h.
    internal const int PROT_READ = 1;
    internal const int PROT_WRITE = 2;
    internal const int MAP_SHARED = 1;

    // epoll(7), uapi/linux/eventpoll.h; EPOLL_CLOEXEC and EFD_* equal O_CLOEXEC and O_NONBLOCK by definition.
    internal const int EPOLL_CLOEXEC = O_CLOEXEC;
    internal const int EPOLL_CTL_ADD = 1;
    internal const uint EPOLLIN = 1;
    internal const int EFD_CLOEXEC = O_CLOEXEC;
    internal const int EFD_NONBLOCK = O_NONBLOCK;

    // setns(2), uapi/linux/sched.h.
    internal const int CLONE_NEWNET = 0x40000000;

    /// <summary>
    /// <c>struct epoll_event</c> is packed on x86-64 (12 bytes: events at 0, data at 4) and naturally aligned on the
    /// other 64-bit architectures <see cref="BpfSyscall"/> supports (16 bytes: data at 8), per
    /// uapi/linux/eventpoll.h <c>EPOLL_PACKED</c>.
    /// </summary>
    internal static int EpollEventSize => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    internal static int EpollEventDataOffset => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    /// <summary>The errno of the last call made with <c>SetLastError = true</c>.</summary>
    internal static int LastErrno => Marshal.GetLastPInvokeError();
}
