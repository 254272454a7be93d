using System.Net;
using Membrane.Policy.Engine.Labels;

namespace Membrane.Agent.Node;

/// <summary>An address of an endpoint on another node, as the cluster publishes it: its identity (number and labels) and its node.</summary>
public sealed record RemoteEndpoint(IPAddress Address, uint Identity, LabelSet Labels, string Node);
