namespace Orleans.Kafka.Grains.Producers;

/// <summary>
/// Persisted state of <see cref="ProducerIdGrain"/>: where the next block starts. Every id below
/// it may have been handed out. A plain mutable class so any grain storage serializer round-trips it.
/// </summary>
[GenerateSerializer, Alias("okafka.ProducerIdState")]
public sealed class ProducerIdState
{
    [Id(0)]
    public long NextBlockStart { get; set; }
}
