using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>What the ipcache maps a prefix to: the identity of the addresses in it.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4, Size = 8)]
public record struct IpcacheValue
{
    public uint Identity;
    public uint Reserved;
}
