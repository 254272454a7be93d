using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Membrane.Policy.Tests.Inputs;

/// <summary>A temporary directory of inputs, with the special files the collector must not read; deleted on Dispose.</summary>
public sealed partial class InputTree : IDisposable
{
    private readonly List<Socket> _sockets = [];

    public string Root { get; } = Directory.CreateTempSubdirectory("membrane-inputs-").FullName;

    public string this[string relative] => Path.Combine(Root, relative);

    public string File(string relative, string text = "{}")
    {
        var path = this[relative];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public string Dir(string relative) => Directory.CreateDirectory(this[relative]).FullName;

    public string Link(string relative, string target)
    {
        var path = this[relative];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.CreateSymbolicLink(path, target);
        return path;
    }

    public string Fifo(string relative)
    {
        var path = this[relative];
        Assert.Equal(0, MkFifo(path, 0x1A4 /* 0644 */));
        return path;
    }

    /// <summary>A bound unix socket, kept open until Dispose.</summary>
    public string Socket(string relative)
    {
        var path = this[relative];
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        _sockets.Add(socket);
        return path;
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        Directory.Delete(Root, recursive: true);
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);
}
