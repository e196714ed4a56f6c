using Orleans.Concurrency;

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
}
