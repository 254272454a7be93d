namespace Membrane.Agent.State;

/// <summary>
/// The state directory refused a read or a write: a full disk (ENOSPC), a read-only file system (EROFS), a directory
/// made immutable or denied to root (EPERM, EACCES), or any other I/O error. The message names the operation and the
/// path; the change that needed the write was not made.
/// </summary>
public sealed class StateStoreException(string operation, string path, Exception inner)
    : IOException($"could not {operation} {path}: {Reason(inner)}", inner)
{
    public string Path { get; } = path;

    /// <summary>
    /// The cause in a user's words. .NET reports EPERM and EACCES alike as UnauthorizedAccessException with a message
    /// naming a temporary file; what matters is that root was refused, which on a state directory means an immutable
    /// attribute (chattr +i), a read-only bind mount, or a security module.
    /// </summary>
    private static string Reason(Exception inner) => inner switch
    {
        UnauthorizedAccessException => "permission denied, even to root (is the directory immutable, chattr +i, or refused by a security module?)",
        _ => inner.Message,
    };
}
