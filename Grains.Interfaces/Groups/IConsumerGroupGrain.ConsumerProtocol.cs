using Orleans.Concurrency;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Groups;

/// <summary>
/// The new consumer group protocol (KIP-848): ConsumerGroupHeartbeat and ConsumerGroupDescribe. The coordinator computes
/// assignments (server-side assignors) and hands them out through heartbeats, revoking before reassigning.
/// </summary>
public partial interface IConsumerGroupGrain
{
    /// <summary>ConsumerGroupHeartbeat v0-v1 (join with epoch 0, leave with -1/-2, else heartbeat at the member's epoch).</summary>
    [Alias("ConsumerHeartbeat")]
    Task<ConsumerHeartbeatResult> ConsumerHeartbeat(ConsumerHeartbeatCommand command);

    /// <summary>ConsumerGroupDescribe: GROUP_ID_NOT_FOUND for a group that does not exist or is not a consumer group.</summary>
    [AlwaysInterleave, Alias("DescribeConsumerGroup")]
    Task<ConsumerGroupDescription> DescribeConsumerGroup();
}

/// <summary>Partitions of one topic, by topic id (and name where the coordinator knows it).</summary>
[GenerateSerializer, Immutable, Alias("okafka.TopicIdPartitions")]
public sealed record TopicIdPartitions(
    [property: Id(0)] Guid TopicId,
    [property: Id(1)] IReadOnlyList<int> Partitions,
    [property: Id(2)] string TopicName = "");

/// <summary>
/// A ConsumerGroupHeartbeat as the group sees it. Null fields mean "unchanged since the last heartbeat" (KIP-848's
/// incremental heartbeats); <see cref="RebalanceTimeoutMs"/> -1 likewise.
/// </summary>
[GenerateSerializer, Immutable, Alias("okafka.ConsumerHeartbeatCommand")]
public sealed record ConsumerHeartbeatCommand(
    [property: Id(0)] string MemberId,
    [property: Id(1)] int MemberEpoch,
    [property: Id(2)] string? InstanceId,
    [property: Id(3)] string? RackId,
    [property: Id(4)] int RebalanceTimeoutMs,
    [property: Id(5)] IReadOnlyList<string>? SubscribedTopicNames,
    [property: Id(6)] string? SubscribedTopicRegex,
    [property: Id(7)] string? ServerAssignor,
    [property: Id(8)] IReadOnlyList<TopicIdPartitions>? OwnedPartitions,
    [property: Id(9)] string ClientId = "",
    [property: Id(10)] string ClientHost = "");

/// <summary>The heartbeat answer; <see cref="Assignment"/> is null when the member's assignment did not change.</summary>
[GenerateSerializer, Immutable, Alias("okafka.ConsumerHeartbeatResult")]
public sealed record ConsumerHeartbeatResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] string? ErrorMessage,
    [property: Id(2)] string? MemberId,
    [property: Id(3)] int MemberEpoch,
    [property: Id(4)] int HeartbeatIntervalMs,
    [property: Id(5)] IReadOnlyList<TopicIdPartitions>? Assignment)
{
    public static ConsumerHeartbeatResult Failed(KafkaErrorCode error, string? message) => new(error, message, null, 0, 0, null);
}

[GenerateSerializer, Immutable, Alias("okafka.ConsumerGroupMemberDescription")]
public sealed record ConsumerGroupMemberDescription(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string? InstanceId,
    [property: Id(2)] string? RackId,
    [property: Id(3)] int MemberEpoch,
    [property: Id(4)] string ClientId,
    [property: Id(5)] string ClientHost,
    [property: Id(6)] IReadOnlyList<string> SubscribedTopicNames,
    [property: Id(7)] string? SubscribedTopicRegex,
    [property: Id(8)] IReadOnlyList<TopicIdPartitions> Assignment,
    [property: Id(9)] IReadOnlyList<TopicIdPartitions> TargetAssignment);

/// <summary>ConsumerGroupDescribe's view of one group; <see cref="Error"/> is GROUP_ID_NOT_FOUND when there is no such consumer group.</summary>
[GenerateSerializer, Immutable, Alias("okafka.ConsumerGroupDescription")]
public sealed record ConsumerGroupDescription(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] string? ErrorMessage,
    [property: Id(2)] string State,
    [property: Id(3)] int GroupEpoch,
    [property: Id(4)] int AssignmentEpoch,
    [property: Id(5)] string AssignorName,
    [property: Id(6)] IReadOnlyList<ConsumerGroupMemberDescription> Members);
