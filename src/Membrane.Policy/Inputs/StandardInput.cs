namespace Membrane.Policy.Inputs;

/// <summary>Standard input (file descriptor 0), refused when it is closed rather than read as empty.</summary>
public static class StandardInput
{
    public const string Name = "<stdin>";

    /// <summary>Opens fd 0; throws <see cref="IOException"/> when it is closed.</summary>
    public static Stream Open() =>
        IsOpen(0) ? Console.OpenStandardInput() : throw new IOException("standard input is closed");

    /// <summary>
    /// Whether <paramref name="fd"/> is a descriptor this process inherited. A closed one fails
    /// <c>fcntl(F_GETFD)</c> with EBADF. But when a program is started with fd 0 closed, the next open(2) gets the
    /// lowest free number, 0, and the runtime opens files before Main runs; those it opens with O_CLOEXEC.
    /// execve(2) closes every close-on-exec descriptor, so an inherited descriptor never has FD_CLOEXEC set:
    /// one that has is the runtime's, not standard input.
    /// </summary>
    internal static bool IsOpen(int fd)
    {
        int flags;
        do
        {
            flags = Libc.Fcntl(fd, Libc.F_GETFD);
        }
        while (flags < 0 && Libc.LastErrno == Libc.EINTR);

        return flags >= 0 && (flags & Libc.FD_CLOEXEC) == 0;
    }
}
