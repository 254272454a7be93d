using Membrane.Datapath.Layout;
using Membrane.Datapath.Writing;

namespace Membrane.Datapath.Ebpf.Loading;

/// <summary>The policy writer's steps applied to the kernel's maps, one map operation each (docs/datapath.md §9).</summary>
public sealed class KernelPolicyMapTarget(LoadedDatapath datapath) : IPolicyMapTarget
{
    public void UpsertPolicy(in PolicyMapKey key, in PolicyMapValue value) => datapath.Policy.Update(key, value);

    public void DeletePolicy(in PolicyMapKey key) => datapath.Policy.Delete(key);

    public void SetEndpoint(uint ifindex, in EndpointConfig config) => datapath.SetEndpoint(ifindex, config);

    public void DeleteEndpoint(uint ifindex) => datapath.DeleteEndpoint(ifindex);
}
