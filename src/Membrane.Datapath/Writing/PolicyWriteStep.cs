using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Writing;

/// <summary>One map operation of a policy update: an entry written or removed in the idle buffer, or the switch of
/// the endpoint's configuration to it. Each is atomic on its own; <see cref="PolicyBufferWriter"/> orders them.</summary>
public abstract record PolicyWriteStep
{
    public abstract void ApplyTo(IPolicyMapTarget target);

    public sealed record Upsert(PolicyMapKey Key, PolicyMapValue Value) : PolicyWriteStep
    {
        public override void ApplyTo(IPolicyMapTarget target) => target.UpsertPolicy(Key, Value);
    }

    public sealed record Delete(PolicyMapKey Key) : PolicyWriteStep
    {
        public override void ApplyTo(IPolicyMapTarget target) => target.DeletePolicy(Key);
    }

    public sealed record Switch(uint Ifindex, EndpointConfig Config) : PolicyWriteStep
    {
        public override void ApplyTo(IPolicyMapTarget target) => target.SetEndpoint(Ifindex, Config);
    }

    public sealed record RemoveEndpoint(uint Ifindex) : PolicyWriteStep
    {
        public override void ApplyTo(IPolicyMapTarget target) => target.DeleteEndpoint(Ifindex);
    }
}
