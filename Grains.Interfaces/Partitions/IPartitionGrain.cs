using Orleans.Concurrency;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Partitions;

/// <summary>
/// One topic-partition's leader (key: <see cref="PartitionKey.Format"/>, "topic/partition"): the single writer of its
/// log directory on its silo. Every call carries the topic id the caller resolved, so a call meant for a deleted topic
/// never touches a recreated topic's data. Reads interleave with writes: they only see offsets below the high watermark,
/// which the append path publishes after the bytes are written.
/// </summary>
[Alias("okafka.IPartitionGrain")]
public interface IPartitionGrain : IGrainWithStringKey
{
    /// <summary>Appends one produce request's records for this partition (acks 0, 1 and -1 all come here).</summary>
    [Alias("Produce")]
    Task<ProduceResult> Produce(ProduceCommand command);

    /// <summary>Reads whole batches from an offset, without waiting (the caller long-polls with <see cref="WaitForData"/>).</summary>
    [AlwaysInterleave, Alias("Fetch")]
    Task<FetchResult> Fetch(FetchCommand command);

    /// <summary>
    /// Completes when the fetchable end (high watermark, or last stable offset under read_committed) passes
    /// <paramref name="offset"/>, or with false when <paramref name="timeout"/> passes or the call is cancelled. Holds no thread.
    /// </summary>
    [AlwaysInterleave, Alias("WaitForData")]
    Task<bool> WaitForData(Guid topicId, long offset, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>ListOffsets for one partition: earliest (-2), latest (-1), max timestamp (-3), earliest local (-4) or a timestamp.</summary>
    [AlwaysInterleave, Alias("ListOffset")]
    Task<ListOffsetResult> ListOffset(ListOffsetCommand command);

    /// <summary>OffsetForLeaderEpoch: the end offset of <paramref name="leaderEpoch"/> in this partition's epoch history.</summary>
    [AlwaysInterleave, Alias("OffsetForLeaderEpoch")]
    Task<EpochEndOffsetResult> OffsetForLeaderEpoch(Guid topicId, int currentLeaderEpoch, int leaderEpoch);

    /// <summary>DeleteRecords: raises the log start offset to <paramref name="offset"/> (-1 = high watermark).</summary>
    [Alias("DeleteRecords")]
    Task<DeleteRecordsResult> DeleteRecords(Guid topicId, long offset);

    /// <summary>Start, high watermark, stable and end offsets (tests, admin, metrics).</summary>
    [AlwaysInterleave, Alias("GetOffsets")]
    Task<PartitionOffsets> GetOffsets();

    /// <summary>How many long polls (<see cref="WaitForData"/> calls) are parked here now (tests, metrics).</summary>
    [AlwaysInterleave, Alias("GetWaiterCount")]
    Task<int> GetWaiterCount();

    /// <summary>
    /// The topic with <paramref name="topicId"/> was deleted: close the log, delete the directory if it belongs to that
    /// topic, and deactivate.
    /// </summary>
    [Alias("DeleteData")]
    Task DeleteData(Guid topicId);

    /// <summary>Re-reads the topic's configs now (they are also re-read periodically).</summary>
    [Alias("ReloadConfig")]
    Task ReloadConfig();

    /// <summary>Runs the periodic work now: re-read configs, apply retention, flush when flush.ms is due, expire producers.</summary>
    [Alias("RunMaintenance")]
    Task RunMaintenance();

    /// <summary>
    /// A follower replica fetches from this leader (long poll up to <see cref="ReplicaFetchCommand.MaxWait"/>). The fetch
    /// offset is the follower's log end: it moves the follower's position, ISR membership and the high watermark.
    /// </summary>
    [AlwaysInterleave, Alias("ReplicaFetch")]
    Task<ReplicaFetchResult> ReplicaFetch(ReplicaFetchCommand command, CancellationToken cancellationToken);

    /// <summary>
    /// acks=-1 after a successful append (<see cref="ProduceResult.AwaitsReplication"/>): completes with NONE when the high
    /// watermark reaches <paramref name="offset"/> with at least min.insync.replicas in the ISR,
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND when it does with fewer, NOT_LEADER_OR_FOLLOWER when this leader's log does not
    /// hold what the leader of <paramref name="leaderEpoch"/> appended below <paramref name="offset"/> (by its epoch
    /// history; a later incarnation that holds it keeps waiting), LEADER_NOT_AVAILABLE when this activation is closing or
    /// stepping down (ask again: the call reaches the next leader), and REQUEST_TIMED_OUT when <paramref name="timeout"/>
    /// passes first. Callers wait in short slices (calling again until their own deadline), so no call holds an
    /// activation that Orleans wants to deactivate for long.
    /// </summary>
    [AlwaysInterleave, Alias("AwaitReplication")]
    Task<KafkaErrorCode> AwaitReplication(Guid topicId, long offset, int leaderEpoch, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>The controller (topic grain) committed a new state for this partition: ISR, leader or epoch.</summary>
    [AlwaysInterleave, Alias("PartitionChanged")]
    Task PartitionChanged(Guid topicId, Topics.PartitionInfo partition);

    /// <summary>This leader's replication state (tests, admin).</summary>
    [AlwaysInterleave, Alias("GetReplicaState")]
    Task<ReplicaState> GetReplicaState();
}

/// <summary>
/// A follower replica of one partition on one silo (key <see cref="ReplicaKey.Format"/>, "topic/partition@silo"), placed
/// on that silo: it owns the partition's directory there whenever that silo is not the leader, and keeps it in step by
/// fetching from the leader grain. The leader grain on the same silo takes the directory over with <see cref="Release"/>.
/// </summary>
[Alias("okafka.IReplicaGrain")]
public interface IReplicaGrain : IGrainWithStringKey
{
    /// <summary>Makes sure this replica is open and following (a no-op when it is, or when its silo leads).</summary>
    [AlwaysInterleave, Alias("Follow")]
    Task Follow();

    /// <summary>Stops following and closes the log (the leader grain on this silo is taking it); returns the last high
    /// watermark the follower learnt, or -1.</summary>
    [AlwaysInterleave, Alias("Release")]
    Task<long> Release();

    [AlwaysInterleave, Alias("GetState")]
    Task<ReplicaState> GetState();
}
