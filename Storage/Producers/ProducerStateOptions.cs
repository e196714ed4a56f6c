namespace Orleans.Kafka.Storage.Producers;

/// <summary>Settings of a partition's <see cref="ProducerStateManager"/>.</summary>
public sealed class ProducerStateOptions
{
    /// <summary>Kafka's default <c>producer.id.expiration.ms</c>: one day.</summary>
    public const long DefaultProducerIdExpirationMs = 86_400_000;

    /// <summary>
    /// <c>producer.id.expiration.ms</c>: a producer idle this long, with no open transaction,
    /// is forgotten by <see cref="ProducerStateManager.RemoveExpiredProducers()"/>.
    /// </summary>
    public long ProducerIdExpirationMs { get; set; } = DefaultProducerIdExpirationMs;

    /// <summary>
    /// Kafka (since KIP-360) accepts any first sequence from a producer it has no state for,
    /// because that state may have been removed with old segments. Set this to answer
    /// UNKNOWN_PRODUCER_ID instead, as Kafka before 2.5 did.
    /// </summary>
    public bool RejectUnknownProducerNonZeroSequence { get; set; }
}
