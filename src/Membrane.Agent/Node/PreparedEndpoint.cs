using System.Collections.Immutable;
using Membrane.Agent.Endpoints;
using Membrane.Agent.State;
using Membrane.Datapath.Ebpf.Attachment;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;

namespace Membrane.Agent.Node;

/// <summary>
/// An endpoint whose network is made, with its programs attached (so it drops everything: it has no configuration
/// yet), waiting for its identity and policy (<see cref="NodeAgent.CompleteEndpoint"/>) or to be taken back
/// (<see cref="NodeAgent.AbandonEndpoint"/>). Its name, and an adopted namespace, are reserved meanwhile. Exactly one
/// of the two runs: whichever claims it first.
/// </summary>
public sealed class PreparedEndpoint
{
    private const int Prepared = 0, Claimed = 1;
    private int _state;

    internal PreparedEndpoint(string name, LabelSet labels, string kubernetesNamespace, string? adoptNamespace, ImmutableDictionary<string, NamedPort> namedPorts,
        uint endpointId, EndpointState creating, EndpointNetwork network, List<ProgramAttachment> attachments, List<ProgramAttachment> backstops, bool saved)
    {
        Name = name;
        Labels = labels;
        KubernetesNamespace = kubernetesNamespace;
        AdoptNamespace = adoptNamespace;
        NamedPorts = namedPorts;
        EndpointId = endpointId;
        Creating = creating;
        Network = network;
        Attachments = attachments;
        Backstops = backstops;
        Saved = saved;
    }

    public string Name { get; }

    /// <summary>The labels asked for, without the namespace's (those are added when it completes, as they are then).</summary>
    internal LabelSet Labels { get; }

    internal string KubernetesNamespace { get; }

    internal string? AdoptNamespace { get; }

    internal ImmutableDictionary<string, NamedPort> NamedPorts { get; }

    internal uint EndpointId { get; }

    internal EndpointState Creating { get; }

    internal EndpointNetwork Network { get; }

    internal List<ProgramAttachment> Attachments { get; }

    internal List<ProgramAttachment> Backstops { get; }

    /// <summary>Whether its state file was written (it says <see cref="EndpointLifecycle.Creating"/>).</summary>
    internal bool Saved { get; }

    /// <summary>
    /// In cluster mode, the identity number the cluster gave the labels it would have (its namespace's as they were
    /// when it was prepared), asked for while it was prepared rather than in the change that completes it; null when
    /// the node knew the labels, or numbers its identities alone.
    /// </summary>
    internal (LabelSet Labels, uint Number)? Numbered { get; init; }

    /// <summary>Claims it for completion or for abandonment; false when the other claimed it first.</summary>
    internal bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Prepared) == Prepared;
}
