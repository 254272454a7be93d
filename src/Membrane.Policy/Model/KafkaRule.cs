namespace Membrane.Policy.Model;

/// <summary>A Kafka request pattern.</summary>
public sealed record KafkaRule : PolicyNode
{
    public Scalar? Role { get; init; }

    public Scalar? ApiKey { get; init; }

    public Scalar? ApiVersion { get; init; }

    public Scalar? ClientId { get; init; }

    public Scalar? Topic { get; init; }
}
