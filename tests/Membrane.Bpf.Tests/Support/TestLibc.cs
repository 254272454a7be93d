using System.Runtime.InteropServices;

namespace Membrane.Bpf.Tests.Support;

/// <summary>libc calls only tests need; the toolkit's own imports are in Membrane.Bpf.Interop.Interop.</summary>
internal static partial class TestLibc
{
    /// <summary>dup2(2): makes <paramref name="newFd"/> refer to what <paramref name="oldFd"/> does, closing what it
    /// referred to before. Tests use it to swap a descriptor the toolkit owns for one of another kind.</summary>
    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    internal static partial int Dup2(int oldFd, int newFd);
}
