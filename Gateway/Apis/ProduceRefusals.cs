using System.Buffers.Binary;
using System.Collections.Concurrent;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// Refuses the rest of an idempotent producer's pipeline on a connection after one of its batches was refused without
/// being appended, until the client sends that batch again.
/// <para>Why: a Kafka broker that is not a partition's leader refuses every request for it, so a client's pipelined
/// batches fail together and are retried in order. Here any gateway reaches the partition wherever it is, so while the
/// partition moves one batch can be refused (NOT_LEADER_OR_FOLLOWER) and the next, a millisecond later, reach the new
/// leader, which must answer OUT_OF_ORDER_SEQUENCE_NUMBER. librdkafka answers that by bumping its producer epoch and
/// renumbering every batch it has not had confirmed; any of those already in the log (its acknowledgement lost in the
/// move) would be written twice. Seen in the fault test after most leader kills before this fence.</para>
/// </summary>
internal sealed class ProduceRefusals(TimeProvider time)
{
    /// <summary>
    /// A fence outlives its refusal by this much at most: long enough for the batches the client had already sent, short
    /// enough that a client retrying on another connection and coming back later is not refused for nothing.
    /// </summary>
    internal static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    private const int SweepAbove = 1024;

    // Record batch v2 header positions (the protocol's implementation docs).
    private const int ProducerIdOffset = 43;
    private const int ProducerEpochOffset = 51;
    private const int BaseSequenceOffset = 53;
    private const int HeaderSize = 61;

    private readonly ConcurrentDictionary<(string Connection, string Topic, int Partition), Fence> _fences = new();

    public ProduceRefusals()
        : this(TimeProvider.System)
    {
    }

    /// <summary>The idempotent producer of a batch, or null for batches without one (or too short to say).</summary>
    public static BatchProducer? ProducerOf(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < HeaderSize)
        {
            return null;
        }

        var producerId = BinaryPrimitives.ReadInt64BigEndian(batch[ProducerIdOffset..]);
        return producerId < 0
            ? null
            : new BatchProducer(producerId, BinaryPrimitives.ReadInt16BigEndian(batch[ProducerEpochOffset..]), BinaryPrimitives.ReadInt32BigEndian(batch[BaseSequenceOffset..]));
    }

    /// <summary>Whether a produce error means "not appended, try again": the codes that fence the pipeline.</summary>
    public static bool IsRetriableRefusal(KafkaErrorCode error) => error is KafkaErrorCode.NotLeaderOrFollower or KafkaErrorCode.LeaderNotAvailable
        or KafkaErrorCode.NotEnoughReplicas or KafkaErrorCode.UnknownTopicOrPartition or KafkaErrorCode.RequestTimedOut or KafkaErrorCode.KafkaStorageError;

    /// <summary>
    /// The refusal a batch gets without reaching its partition: a later batch of the same producer and epoch than one
    /// refused on this connection within <see cref="Lifetime"/>. A batch at or below the refused one (the client's retry)
    /// or of another epoch lifts the fence.
    /// </summary>
    public KafkaErrorCode? Check(string connectionId, string topic, int partition, BatchProducer producer)
    {
        var key = (connectionId, topic, partition);
        if (!_fences.TryGetValue(key, out var fence))
        {
            return null;
        }

        if (time.GetTimestamp() > fence.ExpiresAt || fence.Producer.ProducerId != producer.ProducerId || fence.Producer.Epoch != producer.Epoch
            || producer.BaseSequence <= fence.Producer.BaseSequence)
        {
            _fences.TryRemove(new KeyValuePair<(string, string, int), Fence>(key, fence));
            return null;
        }

        return fence.Error;
    }

    /// <summary>Takes a batch's outcome: a retriable refusal fences the producer's later batches, anything else lifts the fence.</summary>
    public void OnOutcome(string connectionId, string topic, int partition, BatchProducer producer, KafkaErrorCode error)
    {
        var key = (connectionId, topic, partition);
        if (!IsRetriableRefusal(error))
        {
            _fences.TryRemove(key, out _);
            return;
        }

        _fences[key] = new Fence(producer, error, time.GetTimestamp() + (long)(Lifetime.TotalSeconds * time.TimestampFrequency));
        if (_fences.Count > SweepAbove)
        {
            var now = time.GetTimestamp();
            foreach (var entry in _fences)
            {
                if (now > entry.Value.ExpiresAt)
                {
                    _fences.TryRemove(entry);
                }
            }
        }
    }

    /// <summary>Fences in place (tests).</summary>
    internal int Count => _fences.Count;

    private sealed record Fence(BatchProducer Producer, KafkaErrorCode Error, long ExpiresAt);
}

/// <summary>The idempotent producer fields of a record batch header.</summary>
internal readonly record struct BatchProducer(long ProducerId, short Epoch, int BaseSequence);
