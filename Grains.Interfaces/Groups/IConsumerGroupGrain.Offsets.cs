using Orleans.Concurrency;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Groups;

/// <summary>Committed offsets of the group (OffsetCommit / OffsetFetch / OffsetDelete), persisted in grain storage.</summary>
public partial interface IConsumerGroupGrain
{
    /// <summary>
    /// OffsetCommit. Generation -1 with an empty member id is a "simple" commit (assign() users), accepted only while the
    /// group has no members. Answers one error per partition (the group-level error repeated when the whole commit fails).
    /// </summary>
    [Alias("CommitOffsets")]
    Task<IReadOnlyList<PartitionOffsetError>> CommitOffsets(OffsetCommitCommand command);

    /// <summary>OffsetFetch: <paramref name="topics"/> null means every committed partition of the group.</summary>
    [AlwaysInterleave, Alias("FetchOffsets")]
    Task<OffsetFetchResult> FetchOffsets(IReadOnlyList<TopicPartitions>? topics, bool requireStable);

    /// <summary>OffsetDelete: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or per partition GROUP_SUBSCRIBED_TO_TOPIC.</summary>
    [Alias("DeleteOffsets")]
    Task<OffsetDeleteResult> DeleteOffsets(IReadOnlyList<TopicPartitions> topics);
}

[GenerateSerializer, Immutable, Alias("okafka.TopicPartitions")]
public sealed record TopicPartitions([property: Id(0)] string Topic, [property: Id(1)] IReadOnlyList<int> Partitions);

[GenerateSerializer, Immutable, Alias("okafka.OffsetCommitEntry")]
public sealed record OffsetCommitEntry(
    [property: Id(0)] string Topic,
    [property: Id(1)] int Partition,
    [property: Id(2)] long Offset,
    [property: Id(3)] int LeaderEpoch,
    [property: Id(4)] string? Metadata);

/// <summary>
/// An OffsetCommit request; <see cref="RetentionTimeMs"/> is v2-v4's retention_time_ms (-1: the broker's
/// offsets.retention.minutes, counted from when the group becomes empty).
/// </summary>
[GenerateSerializer, Immutable, Alias("okafka.OffsetCommitCommand")]
public sealed record OffsetCommitCommand(
    [property: Id(0)] int GenerationId,
    [property: Id(1)] string MemberId,
    [property: Id(2)] string? GroupInstanceId,
    [property: Id(3)] long RetentionTimeMs,
    [property: Id(4)] IReadOnlyList<OffsetCommitEntry> Offsets);

[GenerateSerializer, Immutable, Alias("okafka.PartitionOffsetError")]
public sealed record PartitionOffsetError(
    [property: Id(0)] string Topic,
    [property: Id(1)] int Partition,
    [property: Id(2)] KafkaErrorCode Error);

/// <summary>A committed offset as OffsetFetch returns it; offset -1 when nothing is committed.</summary>
[GenerateSerializer, Immutable, Alias("okafka.FetchedOffset")]
public sealed record FetchedOffset(
    [property: Id(0)] string Topic,
    [property: Id(1)] int Partition,
    [property: Id(2)] long Offset,
    [property: Id(3)] int LeaderEpoch,
    [property: Id(4)] string? Metadata,
    [property: Id(5)] KafkaErrorCode Error = KafkaErrorCode.None);

[GenerateSerializer, Immutable, Alias("okafka.OffsetFetchResult")]
public sealed record OffsetFetchResult([property: Id(0)] KafkaErrorCode Error, [property: Id(1)] IReadOnlyList<FetchedOffset> Offsets);

[GenerateSerializer, Immutable, Alias("okafka.OffsetDeleteResult")]
public sealed record OffsetDeleteResult([property: Id(0)] KafkaErrorCode Error, [property: Id(1)] IReadOnlyList<PartitionOffsetError> Partitions);
