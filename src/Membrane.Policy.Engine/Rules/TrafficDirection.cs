namespace Membrane.Policy.Engine.Rules;

/// <summary>Ingress: traffic arriving at the endpoint. Egress: traffic leaving it.</summary>
public enum TrafficDirection : byte
{
    Ingress,
    Egress,
}
