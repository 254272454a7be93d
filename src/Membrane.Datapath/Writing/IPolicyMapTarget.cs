using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Writing;

/// <summary>
/// Where the policy writer's steps go: the kernel's maps (the eBPF datapath's writer) or the twin's. Each call is one
/// map operation, atomic on its own, so a test can stop between any two and look at what a packet would see.
/// </summary>
public interface IPolicyMapTarget
{
    void UpsertPolicy(in PolicyMapKey key, in PolicyMapValue value);

    void DeletePolicy(in PolicyMapKey key);

    void SetEndpoint(uint ifindex, in EndpointConfig config);

    void DeleteEndpoint(uint ifindex);
}
