using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Partitions;

/// <summary>Kafka's ListOffsets special timestamps.</summary>
public static class OffsetSpec
{
    public const long Latest = -1;
    public const long Earliest = -2;
    public const long MaxTimestamp = -3;
    public const long EarliestLocal = -4;
    public const long EarliestPendingUpload = -5;
    public const long LatestTiered = -6;
}

/// <summary>
/// One partition's records from a produce request. <see cref="Records"/> is not copied on an in-silo call
/// (<see cref="ImmutableAttribute"/>); the grain copies what it stores before it returns. <see cref="ConfigOverrides"/>,
/// when given, are the topic configs the caller resolved: a partition holding different ones re-reads its topic before
/// appending, so a config change applies to the next produce rather than at the next periodic check.
/// </summary>
[GenerateSerializer, Immutable, Alias("okafka.ProduceCommand")]
public sealed record ProduceCommand(
    [property: Id(0)] Guid TopicId,
    [property: Id(1)] ReadOnlyMemory<byte> Records,
    [property: Id(2)] short Acks,
    [property: Id(3)] int TimeoutMs,
    [property: Id(4)] IReadOnlyDictionary<string, string>? ConfigOverrides = null);

/// <summary>A produce outcome: offsets on success, else Kafka's error code and message.</summary>
[GenerateSerializer, Immutable, Alias("okafka.ProduceResult")]
public sealed record ProduceResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] long BaseOffset,
    [property: Id(2)] long LogAppendTimeMs,
    [property: Id(3)] long LogStartOffset,
    [property: Id(4)] string? ErrorMessage = null,
    [property: Id(5)] long AwaitOffset = -1,
    [property: Id(6)] int AwaitEpoch = -1)
{
    public static ProduceResult Failed(KafkaErrorCode error, string? message) => new(error, -1, -1, -1, message);

    /// <summary>
    /// acks=-1 on a replicated partition: the append succeeded locally and the answer must wait (through
    /// <see cref="IPartitionGrain.AwaitReplication"/>) until the high watermark reaches <see cref="AwaitOffset"/>, in the
    /// leader epoch <see cref="AwaitEpoch"/> the append was made in.
    /// </summary>
    public bool AwaitsReplication => AwaitOffset >= 0;
}

/// <summary>IsolationLevel as on the wire.</summary>
public enum FetchIsolation : sbyte
{
    ReadUncommitted = 0,
    ReadCommitted = 1,
}

[GenerateSerializer, Immutable, Alias("okafka.FetchCommand")]
public sealed record FetchCommand(
    [property: Id(0)] Guid TopicId,
    [property: Id(1)] long FetchOffset,
    [property: Id(2)] int MaxBytes,
    [property: Id(3)] FetchIsolation Isolation,
    [property: Id(4)] int CurrentLeaderEpoch = -1);

/// <summary>
/// A fetch outcome. <see cref="Records"/> holds whole stored batches (possibly starting below the fetch offset, as in
/// Kafka); it is not copied on an in-silo call.
/// </summary>
[GenerateSerializer, Immutable, Alias("okafka.FetchResult")]
public sealed record FetchResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] long HighWatermark,
    [property: Id(2)] long LastStableOffset,
    [property: Id(3)] long LogStartOffset,
    [property: Id(4)] ReadOnlyMemory<byte> Records,
    [property: Id(5)] string? ErrorMessage = null)
{
    public static FetchResult Failed(KafkaErrorCode error, string? message = null) => new(error, -1, -1, -1, ReadOnlyMemory<byte>.Empty, message);
}

[GenerateSerializer, Immutable, Alias("okafka.ListOffsetCommand")]
public sealed record ListOffsetCommand(
    [property: Id(0)] Guid TopicId,
    [property: Id(1)] long Timestamp,
    [property: Id(2)] FetchIsolation Isolation,
    [property: Id(3)] int CurrentLeaderEpoch = -1);

/// <summary>ListOffsets' answer; offset and timestamp -1 when no record matches.</summary>
[GenerateSerializer, Immutable, Alias("okafka.ListOffsetResult")]
public sealed record ListOffsetResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] long Timestamp,
    [property: Id(2)] long Offset,
    [property: Id(3)] int LeaderEpoch);

[GenerateSerializer, Immutable, Alias("okafka.EpochEndOffsetResult")]
public sealed record EpochEndOffsetResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] int LeaderEpoch,
    [property: Id(2)] long EndOffset);

[GenerateSerializer, Immutable, Alias("okafka.DeleteRecordsResult")]
public sealed record DeleteRecordsResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] long LowWatermark,
    [property: Id(2)] string? ErrorMessage = null);

/// <summary>A partition's offsets; all -1 when the partition is not open (unknown topic or partition).</summary>
[GenerateSerializer, Immutable, Alias("okafka.PartitionOffsets")]
public sealed record PartitionOffsets(
    [property: Id(0)] long LogStartOffset,
    [property: Id(1)] long HighWatermark,
    [property: Id(2)] long LastStableOffset,
    [property: Id(3)] long LogEndOffset,
    [property: Id(4)] Guid TopicId);

/// <summary>
/// A follower's fetch from the leader (Kafka's replica Fetch): <see cref="FetchOffset"/> is the follower's log end, which
/// also tells the leader how far the follower has got. <see cref="LeaderEpoch"/> is the epoch the follower believes
/// current: lower than the leader's gets FENCED_LEADER_EPOCH, higher gets UNKNOWN_LEADER_EPOCH.
/// </summary>
[GenerateSerializer, Immutable, Alias("okafka.ReplicaFetchCommand")]
public sealed record ReplicaFetchCommand(
    [property: Id(0)] Guid TopicId,
    [property: Id(1)] int ReplicaId,
    [property: Id(2)] int LeaderEpoch,
    [property: Id(3)] long FetchOffset,
    [property: Id(4)] int MaxBytes,
    [property: Id(5)] TimeSpan MaxWait);

/// <summary>
/// The leader's answer to a follower: whole batches from the fetch offset (as stored, offsets and leader epochs kept),
/// the leader's high watermark, log start and end, and its epoch.
/// </summary>
[GenerateSerializer, Immutable, Alias("okafka.ReplicaFetchResult")]
public sealed record ReplicaFetchResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] int LeaderEpoch,
    [property: Id(2)] long HighWatermark,
    [property: Id(3)] long LogStartOffset,
    [property: Id(4)] long LogEndOffset,
    [property: Id(5)] ReadOnlyMemory<byte> Records)
{
    public static ReplicaFetchResult Failed(KafkaErrorCode error, int leaderEpoch) => new(error, leaderEpoch, -1, -1, -1, ReadOnlyMemory<byte>.Empty);
}

/// <summary>A replica's view of itself (tests, admin, metrics).</summary>
[GenerateSerializer, Immutable, Alias("okafka.ReplicaState")]
public sealed record ReplicaState(
    [property: Id(0)] bool IsOpen,
    [property: Id(1)] int LeaderEpoch,
    [property: Id(2)] long LogStartOffset,
    [property: Id(3)] long LogEndOffset,
    [property: Id(4)] long HighWatermark);
