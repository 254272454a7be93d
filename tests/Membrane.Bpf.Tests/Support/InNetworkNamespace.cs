using Libc = Membrane.Bpf.Interop.Interop;

namespace Membrane.Bpf.Tests.Support;

/// <summary>
/// Runs code inside a named network namespace on a dedicated thread. setns(2) moves only the calling thread, so a
/// pool thread must never do it; this thread enters the namespace, runs the code, and ends. bpf(BPF_LINK_CREATE)
/// and if_nametoindex(3) then resolve interfaces in that namespace.
/// </summary>
internal static class InNetworkNamespace
{
    public static T Run<T>(string namespaceName, Func<T> action)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var fd = Libc.Open($"/run/netns/{namespaceName}", Libc.O_RDONLY | Libc.O_CLOEXEC);
                if (fd < 0)
                {
                    throw new IOException($"open /run/netns/{namespaceName}: {Errno.Name(Libc.LastErrno)}");
                }

                try
                {
                    if (Libc.Setns(fd, Libc.CLONE_NEWNET) != 0)
                    {
                        throw new IOException($"setns {namespaceName}: {Errno.Name(Libc.LastErrno)}");
                    }
                }
                finally
                {
                    Libc.Close(fd);
                }

                result = action();
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        })
        {
            Name = $"netns {namespaceName}",
        };
        thread.Start();
        thread.Join();
        return failure is null ? result! : throw new InvalidOperationException($"in {namespaceName}: {failure.Message}", failure);
    }

    /// <summary>The index of <paramref name="interfaceName"/> as the namespace sees it.</summary>
    public static int InterfaceIndex(string interfaceName)
    {
        var index = Libc.IfNameToIndex(interfaceName);
        return index != 0 ? (int)index : throw new IOException($"no interface {interfaceName}: {Errno.Name(Libc.LastErrno)}");
    }
}
