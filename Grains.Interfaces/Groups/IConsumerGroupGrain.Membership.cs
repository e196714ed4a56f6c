using Orleans.Concurrency;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Groups;

/// <summary>
/// The classic group protocol (JoinGroup / SyncGroup / Heartbeat / LeaveGroup). The grain is reentrant: a JoinGroup or
/// SyncGroup that waits for the rebalance to finish never stops it from serving the other members.
/// </summary>
public partial interface IConsumerGroupGrain
{
    /// <summary>
    /// JoinGroup: answers when this member's place in the next generation is known (or with an error). It may wait up to
    /// the group's rebalance timeout (max.poll.interval.ms, 5 minutes by default), hence the long response timeout.
    /// </summary>
    [Alias("Join"), ResponseTimeout("01:00:00")]
    Task<JoinGroupResult> Join(JoinGroupCommand command);

    /// <summary>SyncGroup: the leader hands in the assignments; every member waits for its own.</summary>
    [Alias("Sync"), ResponseTimeout("01:00:00")]
    Task<SyncGroupResult> Sync(SyncGroupCommand command);

    /// <summary>Heartbeat: NONE, REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION or FENCED_INSTANCE_ID.</summary>
    [Alias("Heartbeat")]
    Task<KafkaErrorCode> Heartbeat(int generationId, string memberId, string? groupInstanceId);

    /// <summary>LeaveGroup for one or more members (v3+ batches them).</summary>
    [Alias("Leave")]
    Task<LeaveGroupResult> Leave(IReadOnlyList<LeavingMember> members);
}

/// <summary>One protocol a joining member supports (e.g. "range" with its subscription bytes).</summary>
[GenerateSerializer, Immutable, Alias("okafka.GroupProtocol")]
public sealed record GroupProtocol([property: Id(0)] string Name, [property: Id(1)] byte[] Metadata);

/// <summary>A JoinGroup request as the group sees it; <see cref="RequireKnownMemberId"/> is true from v4 (KIP-394).</summary>
[GenerateSerializer, Immutable, Alias("okafka.JoinGroupCommand")]
public sealed record JoinGroupCommand(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string? GroupInstanceId,
    [property: Id(2)] string ClientId,
    [property: Id(3)] string ClientHost,
    [property: Id(4)] int SessionTimeoutMs,
    [property: Id(5)] int RebalanceTimeoutMs,
    [property: Id(6)] string ProtocolType,
    [property: Id(7)] IReadOnlyList<GroupProtocol> Protocols,
    [property: Id(8)] bool RequireKnownMemberId,
    [property: Id(9)] bool SupportsSkipAssignment = false);

[GenerateSerializer, Immutable, Alias("okafka.JoinedMember")]
public sealed record JoinedMember(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string? GroupInstanceId,
    [property: Id(2)] byte[] Metadata);

[GenerateSerializer, Immutable, Alias("okafka.JoinGroupResult")]
public sealed record JoinGroupResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] int GenerationId,
    [property: Id(2)] string? ProtocolType,
    [property: Id(3)] string? ProtocolName,
    [property: Id(4)] string LeaderId,
    [property: Id(5)] string MemberId,
    [property: Id(6)] IReadOnlyList<JoinedMember> Members,
    [property: Id(7)] bool SkipAssignment = false)
{
    public static JoinGroupResult Failed(KafkaErrorCode error, string memberId = "") =>
        new(error, -1, null, null, "", memberId, []);
}

[GenerateSerializer, Immutable, Alias("okafka.MemberAssignment")]
public sealed record MemberAssignment([property: Id(0)] string MemberId, [property: Id(1)] byte[] Assignment);

/// <summary>A SyncGroup request; <see cref="ProtocolType"/>/<see cref="ProtocolName"/> are sent from v5 and checked when present.</summary>
[GenerateSerializer, Immutable, Alias("okafka.SyncGroupCommand")]
public sealed record SyncGroupCommand(
    [property: Id(0)] int GenerationId,
    [property: Id(1)] string MemberId,
    [property: Id(2)] string? GroupInstanceId,
    [property: Id(3)] string? ProtocolType,
    [property: Id(4)] string? ProtocolName,
    [property: Id(5)] IReadOnlyList<MemberAssignment> Assignments);

[GenerateSerializer, Immutable, Alias("okafka.SyncGroupResult")]
public sealed record SyncGroupResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] string? ProtocolType,
    [property: Id(2)] string? ProtocolName,
    [property: Id(3)] byte[] Assignment)
{
    public static SyncGroupResult Failed(KafkaErrorCode error) => new(error, null, null, []);
}

/// <summary>A member named in LeaveGroup: by member id, or (static members, v3+) by instance id.</summary>
[GenerateSerializer, Immutable, Alias("okafka.LeavingMember")]
public sealed record LeavingMember([property: Id(0)] string MemberId, [property: Id(1)] string? GroupInstanceId);

[GenerateSerializer, Immutable, Alias("okafka.LeftMember")]
public sealed record LeftMember(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string? GroupInstanceId,
    [property: Id(2)] KafkaErrorCode Error);

/// <summary>Top-level error (set when the group itself refuses) and one entry per named member.</summary>
[GenerateSerializer, Immutable, Alias("okafka.LeaveGroupResult")]
public sealed record LeaveGroupResult([property: Id(0)] KafkaErrorCode Error, [property: Id(1)] IReadOnlyList<LeftMember> Members);
