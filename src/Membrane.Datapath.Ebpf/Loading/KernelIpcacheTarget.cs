using Membrane.Datapath.Layout;
using Membrane.Datapath.Writing;

namespace Membrane.Datapath.Ebpf.Loading;

/// <summary>The ipcache writer's operations applied to the kernel's ipcache, one map operation each.</summary>
public sealed class KernelIpcacheTarget(LoadedDatapath datapath) : IIpcacheTarget
{
    public void UpsertIpcache(in IpcacheKey key, in IpcacheValue value) => datapath.Ipcache.Update(key, value);

    public void DeleteIpcache(in IpcacheKey key) => datapath.Ipcache.Delete(key);
}
