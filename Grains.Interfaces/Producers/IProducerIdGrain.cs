namespace Orleans.Kafka.Producers;

/// <summary>
/// The cluster's producer-id allocator (one activation, key <see cref="Key"/>), like Kafka's
/// controller serving AllocateProducerIds: it hands out blocks of <see cref="BlockSize"/> ids and
/// persists the start of the next block before answering, so an id is never handed out twice,
/// whatever restarts or kills happen. Callers take ids from a block locally
/// (<see cref="IProducerIdCacheGrain"/>) instead of calling this grain per producer.
/// </summary>
[Alias("okafka.IProducerIdGrain")]
public interface IProducerIdGrain : IGrainWithStringKey
{
    public const string Key = "producerIds";

    /// <summary>Ids per block: Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE.</summary>
    public const int BlockSize = 1000;

    /// <summary>Reserves the next block of ids; it is durable before this returns.</summary>
    [Alias("AllocateBlock")]
    Task<ProducerIdBlock> AllocateBlock();
}

/// <summary>
/// A per-silo cache of one <see cref="ProducerIdBlock"/> (a stateless worker), so InitProducerId
/// costs a call to the allocator only once per <see cref="IProducerIdGrain.BlockSize"/> producers.
/// Ids left in a block when the cache deactivates are skipped, never reused. Use key 0.
/// </summary>
[Alias("okafka.IProducerIdCacheGrain")]
public interface IProducerIdCacheGrain : IGrainWithIntegerKey
{
    /// <summary>A producer id nobody got before.</summary>
    [Alias("NextProducerId")]
    Task<long> NextProducerId();
}

/// <summary>The ids [<see cref="FirstId"/>, <see cref="FirstId"/> + <see cref="Size"/>).</summary>
[GenerateSerializer, Immutable, Alias("okafka.ProducerIdBlock")]
public readonly record struct ProducerIdBlock([property: Id(0)] long FirstId, [property: Id(1)] int Size)
{
    /// <summary>The first id after the block.</summary>
    public long EndId => FirstId + Size;
}
