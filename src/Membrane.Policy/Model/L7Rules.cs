namespace Membrane.Policy.Model;

/// <summary>The <c>rules</c> of a port: HTTP, Kafka, DNS, or a named L7 protocol. At most one kind.</summary>
public sealed record L7Rules : PolicyNode
{
    public PolicyList<HttpRule> Http { get; init; }

    public PolicyList<KafkaRule> Kafka { get; init; }

    public PolicyList<FqdnSelector> Dns { get; init; }

    public Scalar? L7Proto { get; init; }

    public PolicyList<L7Rule> L7 { get; init; }

    public bool IsEmpty => !Http.IsPresent && !Kafka.IsPresent && !Dns.IsPresent && L7Proto is null && !L7.IsPresent;
}
