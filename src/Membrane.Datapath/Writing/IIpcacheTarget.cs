using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Writing;

/// <summary>Where the ipcache writer's operations go: the kernel's ipcache or the twin's. Each call is one map operation.</summary>
public interface IIpcacheTarget
{
    void UpsertIpcache(in IpcacheKey key, in IpcacheValue value);

    void DeleteIpcache(in IpcacheKey key);
}
