using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Compaction;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// The leader of one topic-partition (key "topic/partition"): opens <c>{log.dirs}/{topic}-{partition}</c> on
/// activation and is the only writer of it. Appends run as ordinary (non-reentrant) calls and complete synchronously, so
/// one append never interleaves with another; fetches, waits and offset queries interleave with them and read only
/// below the high watermark, which the log publishes after bytes and indexes are written.
/// <para>Long polls: every append replaces <see cref="_dataArrived"/> after completing the previous one, so a waiting
/// fetch resumes (on this activation's scheduler) as soon as data arrives, without holding a thread meanwhile.</para>
/// <para>Kept active for the silo's lifetime (Kafka partitions never idle); deactivation, including the silo's shutdown,
/// closes the log cleanly so the next open skips recovery.</para>
/// </summary>
[KeepAlive]
[PartitionPlacement]
public sealed partial class PartitionGrain(IOptions<BrokerOptions> options, ILogger<PartitionGrain> logger) : Grain, IPartitionGrain
{
    /// <summary>How often retention, flush.ms and config changes are checked.</summary>
    internal static readonly TimeSpan MaintenancePeriod = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = TimeProvider.System;
    private string _topic = "";
    private int _partition = -1;
    private string _directory = "";
    private TaskCompletionSource _dataArrived = NewSignal();
    private OpenPartition? _open;
    private IGrainTimer? _maintenance;

    // Long polls parked in WaitForData; only touched on this activation's turns.
    private int _waiters;

    // Set when the controller has given leadership to another silo or epoch: nothing more is appended or served here.
    private bool _fenced;

    /// <summary>
    /// The open log with everything derived from the topic at open time. <see cref="Replication"/> is null on silos
    /// without a silo id (test clusters without identities), where the high watermark is simply the log end.
    /// </summary>
    private sealed record OpenPartition(
        PartitionLog Log,
        ProducerStateTracker Producers,
        Guid TopicId,
        int LeaderEpoch,
        LeaderEpochCache Epochs,
        PartitionLogSettings Settings,
        IReadOnlyDictionary<string, string> Overrides,
        PartitionCompaction? Compaction,
        LeaderReplication? Replication);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        if (!PartitionKey.TryParse(key, out _topic, out _partition))
        {
            throw new ArgumentException($"'{key}' is not a partition key (topic/partition).");
        }

        _directory = PartitionDirectory.PathFor(options.Value.LogDirs, _topic, _partition);
        var topic = await CurrentTopic();
        if (topic is not null && _partition < topic.Partitions.Count)
        {
            await OpenAsLeaderAsync(topic);
        }

        _maintenance = this.RegisterGrainTimer(Maintain, new GrainTimerCreationOptions(MaintenancePeriod, MaintenancePeriod) { KeepAlive = true });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _maintenance?.Dispose();
        _isrCheck?.Dispose();
        var replicas = _open?.Replication?.Committed.Replicas;
        await StopCompactionAsync();
        Close();
        if (replicas is not null && Identity is { } me && replicas.Contains(me.SiloId) && reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            // Leadership moved while this silo stays a replica: its copy goes on as a follower.
            FireAndForget(GrainFactory.GetReplicaGrain(_topic, _partition, me.SiloId).Follow(), "follow after stepping down");
        }
    }

    /// <summary>
    /// The topic's committed state, read from its topic grain (the controller, authoritative) rather than the registry's
    /// cached copy: one grain fewer between a partition and its data, which matters when the registry's silo has just
    /// died and its activation is moving (the registry then stalls every reader for seconds).
    /// </summary>
    private Task<TopicInfo?> CurrentTopic() => GrainFactory.GetGrain<ITopicGrain>(_topic).GetInfo();

    /// <param name="epochs">A reopen's (config change) epoch history, carried over; null on a fresh open.</param>
    /// <param name="replication">A reopen's follower bookkeeping, carried over with its leader epoch; null on a fresh open.</param>
    private void Open(TopicInfo topic, PartitionInfo committed, long initialHighWatermark, LeaderEpochCache? epochs = null, LeaderReplication? replication = null)
    {
        var settings = PartitionLogSettings.From(topic.ConfigOverrides);
        if (!Ownership.TryAcquire(_directory, this))
        {
            // Transient (the follower is closing it): the gateway answers NOT_LEADER_OR_FOLLOWER and the client retries.
            throw new PartitionUnavailableException($"{PartitionUnavailableException.Marker} {_directory} is still open by this silo's follower replica; the leader opens it later.");
        }

        if (PartitionDirectory.Prepare(_directory, topic.TopicId))
        {
            PartitionGrainLog.StaleDirectoryDeleted(logger, _directory, topic.TopicId);
        }

        PartitionLog log;
        try
        {
            log = PartitionLog.Open(_directory, settings.Log, _time);
        }
        catch
        {
            Ownership.Release(_directory, this);
            throw;
        }

        ProducerStateTracker producers;
        try
        {
            producers = ProducerStateTracker.Load(log, _time, logger);
        }
        catch
        {
            log.Dispose();
            Ownership.Release(_directory, this);
            throw;
        }

        var epoch = committed.LeaderEpoch;
        var compaction = PartitionCompaction.StartIfCompacted(log, topic.ConfigOverrides, options.Value, _time, ServiceProvider, logger, $"{_topic}-{_partition}");
        // The epoch history is rebuilt from the batches when its file is missing (logs written before it existed).
        epochs ??= LeaderEpochCache.Open(log);
        epochs.Assign(epoch, log.LogEndOffset);
        if (replication is null && Identity is { } me)
        {
            // The best committed offset this silo knows: its follower copy's, or the previous leader activation's here.
            var known = Math.Max(initialHighWatermark, Ownership.LastHighWatermark(_directory));
            var hw = Math.Clamp(known, log.LogStartOffset, log.LogEndOffset);
            replication = new LeaderReplication(me.SiloId, committed, hw, log.LogEndOffset, NowMs, options.Value.ReplicaLagTimeMaxMs);
            replication.UpdateHighWatermark(log.LogEndOffset);
        }

        _open = new OpenPartition(log, producers, topic.TopicId, epoch, epochs, settings, topic.ConfigOverrides, compaction, replication);
        PartitionGrainLog.Opened(logger, _topic, _partition, _directory, log.LogStartOffset, log.LogEndOffset, log.OpenedAfterCleanShutdown);
    }

    /// <summary>
    /// Ends the open log's compaction loop and waits for a pass in flight (see <see cref="PartitionCompaction.StopAsync"/>);
    /// must precede <see cref="Close"/>. The log stays open meanwhile, so interleaved fetches keep being served.
    /// </summary>
    private async Task StopCompactionAsync()
    {
        if (_open?.Compaction is { } compaction)
        {
            await compaction.StopAsync();
        }
    }

    /// <summary>Closes the open log; its compaction must have been stopped (<see cref="StopCompactionAsync"/>).</summary>
    private void Close()
    {
        if (_open is not { } open)
        {
            return;
        }

        System.Diagnostics.Debug.Assert(open.Compaction is null || open.Compaction.IsStopped, "compaction is stopped before the log closes");
        _open = null;
        // The tracker snapshots on the log's Closing event, so the log closes first.
        open.Log.Dispose();
        open.Producers.Dispose();
        Ownership.Release(_directory, this, open.Replication?.HighWatermark ?? -1);
        Signal();
    }

    /// <summary>Resolves the open partition for a call that names <paramref name="topicId"/>, or the error to answer.</summary>
    private KafkaErrorCode Resolve(Guid topicId, out OpenPartition open)
    {
        open = _open!;
        if (_open is null)
        {
            return KafkaErrorCode.UnknownTopicOrPartition;
        }

        if (_fenced)
        {
            return KafkaErrorCode.NotLeaderOrFollower;
        }

        return topicId != Guid.Empty && topicId != _open.TopicId ? KafkaErrorCode.NotLeaderOrFollower : KafkaErrorCode.None;
    }

    /// <summary>
    /// <see cref="Resolve"/> for calls that may await: on a topic-id mismatch, asks the topic grain which side is stale. A
    /// stale caller (the topic it names was deleted) gets UNKNOWN_TOPIC_OR_PARTITION; a stale activation (the topic was
    /// recreated while it was active) steps aside so a fresh activation opens the new topic's data, and the caller gets
    /// the retriable NOT_LEADER_OR_FOLLOWER.
    /// </summary>
    private async Task<(KafkaErrorCode Error, OpenPartition Open)> ResolveAsync(Guid topicId)
    {
        var error = Resolve(topicId, out var open);
        if (error != KafkaErrorCode.NotLeaderOrFollower)
        {
            return (error, open);
        }

        var current = await CurrentTopic();
        if (current?.TopicId == topicId)
        {
            DeactivateOnIdle();
            return (KafkaErrorCode.NotLeaderOrFollower, open);
        }

        return (KafkaErrorCode.UnknownTopicOrPartition, open);
    }

    /// <summary>Kafka's check of a request's current_leader_epoch (-1 skips it).</summary>
    private static KafkaErrorCode CheckLeaderEpoch(OpenPartition open, int currentLeaderEpoch) =>
        currentLeaderEpoch < 0 || currentLeaderEpoch == open.LeaderEpoch ? KafkaErrorCode.None
        : currentLeaderEpoch < open.LeaderEpoch ? KafkaErrorCode.FencedLeaderEpoch
        : KafkaErrorCode.UnknownLeaderEpoch;

    /// <summary>The high watermark: the offset every in-sync replica has (the log end without replication state).</summary>
    private static long HighWatermark(OpenPartition open) => open.Replication is { } replication ? replication.HighWatermark : open.Log.LogEndOffset;

    /// <summary>The last stable offset: the first offset of the oldest open transaction, else the high watermark.</summary>
    private static long LastStableOffset(OpenPartition open)
    {
        var hw = HighWatermark(open);
        return open.Producers.FirstUnstableOffset is { } unstable ? Math.Min(unstable, hw) : hw;
    }

    private static long FetchableEnd(OpenPartition open, FetchIsolation isolation) =>
        isolation == FetchIsolation.ReadCommitted ? LastStableOffset(open) : HighWatermark(open);

    /// <summary>Wakes every waiting long poll and arms a new signal for the next append.</summary>
    private void Signal()
    {
        var previous = _dataArrived;
        _dataArrived = NewSignal();
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<PartitionOffsets> GetOffsets()
    {
        var offsets = _open is { } open
            ? new PartitionOffsets(open.Log.LogStartOffset, HighWatermark(open), LastStableOffset(open), open.Log.LogEndOffset, open.TopicId)
            : new PartitionOffsets(-1, -1, -1, -1, Guid.Empty);
        return Task.FromResult(offsets);
    }

    public async Task DeleteData(Guid topicId)
    {
        if (_open is { } open && open.TopicId == topicId)
        {
            await StopCompactionAsync();
            if (ReferenceEquals(_open, open))
            {
                Close();
            }
        }

        if (_open is null && PartitionDirectory.DeleteIfOwnedBy(_directory, topicId))
        {
            PartitionGrainLog.DataDeleted(logger, _topic, _partition, topicId);
        }

        DeactivateOnIdle();
    }

    public async Task ReloadConfig()
    {
        var topic = await CurrentTopic();
        await ApplyTopicAsync(topic);
    }

    public Task RunMaintenance() => Maintain(CancellationToken.None);


    /// <summary>
    /// Periodic: retention (cleanup.policy with delete; a compact-only topic keeps its segments whatever retention.ms
    /// says, as in Kafka), time-based flush, producer expiry, picking up topic changes, and a prompt compaction pass
    /// (started, never awaited: the pass runs beside this and later turns).
    /// </summary>
    private async Task Maintain(CancellationToken cancellationToken)
    {
        var topic = await CurrentTopic();
        await ApplyTopicAsync(topic);
        if (_open is not { } open)
        {
            return;
        }

        if (open.Settings.AllowsDeleteRecords)
        {
            var deleted = open.Log.ApplyRetention(HighWatermark(open));
            if (deleted > 0)
            {
                open.Producers.DeleteSnapshotsBelow(open.Log.LogStartOffset);
                open.Epochs.TruncateFromStart(open.Log.LogStartOffset);
                PartitionGrainLog.RetentionApplied(logger, _topic, _partition, deleted, open.Log.LogStartOffset);
            }
        }

        open.Log.FlushIfDue();
        open.Producers.RemoveExpiredProducers();
        open.Compaction?.Kick();
    }

    /// <summary>Follows the topic: reopen with changed configs, close and delete when the topic is gone or replaced.</summary>
    private async Task ApplyTopicAsync(TopicInfo? topic)
    {
        if (_open is { } open)
        {
            if (topic is null || topic.TopicId != open.TopicId || !SameConfigs(open.Overrides, topic.ConfigOverrides))
            {
                // A compaction pass must not outlive the log it cleans (nor write into a directory about to go).
                await StopCompactionAsync();
                if (!ReferenceEquals(_open, open))
                {
                    return; // another turn closed or reopened it meanwhile
                }
            }

            if (topic is null || topic.TopicId != open.TopicId)
            {
                Close();
                if (PartitionDirectory.DeleteIfOwnedBy(_directory, open.TopicId))
                {
                    PartitionGrainLog.DataDeleted(logger, _topic, _partition, open.TopicId);
                }

                DeactivateOnIdle();
                return;
            }

            if (IsStale(open, topic.Partitions[_partition]))
            {
                StepDown("the controller names another leader or a newer epoch");
                return;
            }

            if (!SameConfigs(open.Overrides, topic.ConfigOverrides))
            {
                // LogConfig is fixed for an open log: close cleanly (fast, no recovery) and open with the new settings,
                // keeping this leader's epoch, epoch history and followers' progress.
                Close();
                Open(topic, open.Replication?.Committed ?? topic.Partitions[_partition], HighWatermark(open), open.Epochs, open.Replication);

                PartitionGrainLog.ConfigReloaded(logger, _topic, _partition);
            }
        }
        else if (topic is not null && _partition < topic.Partitions.Count && !_fenced)
        {
            await OpenAsLeaderAsync(topic); // created (or its partitions raised) after this activation started
        }
    }

    internal static bool SameConfigs(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        ReferenceEquals(a, b) || (a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value));
}
