using Microsoft.Extensions.Logging;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// One run of a follower replica (see <see cref="ReplicaGrain"/>): started on the grain's scheduler, so every step runs
/// as part of the activation and never in parallel with its calls. Each step reads the committed partition state
/// (cached until something fails), decides whether this copy should follow at all, truncates by leader epoch once per
/// new leader epoch, and fetches from the leader.
/// </summary>
internal sealed partial class FollowerLoop(ReplicaGrain grain)
{
    private static readonly TimeSpan FetchGrace = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan EpochQueryTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ControlCallTimeout = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time = TimeProvider.System;
    private Task? _task;
    private FollowerLog? _log;
    private TopicInfo? _topic;
    private long _highWatermark = -1;
    private int _leaderEpoch = -1;
    private int _truncatedForEpoch = -1;

    private enum Step
    {
        Continue,
        Backoff,
        Stop,
    }

    /// <summary>
    /// The open copy: the log with its producer state and epoch history, for one topic id, opened with the topic configs
    /// <see cref="Overrides"/>; <see cref="Compaction"/> runs for compacted topics (each copy cleans its own log, as
    /// every Kafka replica runs its own log cleaner).
    /// </summary>
    private sealed record FollowerLog(
        PartitionLog Log,
        ProducerStateTracker Producers,
        LeaderEpochCache Epochs,
        Guid TopicId,
        PartitionLogSettings Settings,
        IReadOnlyDictionary<string, string> Overrides,
        PartitionCompaction? Compaction);

    public bool IsRunning => _task is { IsCompleted: false };

    public ReplicaState State => _log is { } open
        ? new ReplicaState(true, _leaderEpoch, open.Log.LogStartOffset, open.Log.LogEndOffset, _highWatermark)
        : new ReplicaState(false, _leaderEpoch, -1, -1, _highWatermark);

    private ILogger Logger => grain.Logger;

    public void Start() => _task = RunAsync(_stop.Token);

    /// <summary>Stops the loop, waits for its step in flight, closes the log; returns the last high watermark learnt.</summary>
    public async Task<long> StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_task is { } task)
            {
                await task;
            }
        }
        catch (OperationCanceledException)
        {
            // the step in flight was cancelled: expected
        }
        catch (Exception ex)
        {
            // The step in flight failed after the stop was asked for (RunAsync only absorbs failures while running): a
            // fetch from a leader whose silo just died ends with SiloUnavailableException rather than a cancellation.
            // The stop goes on: letting this escape would skip CloseLog and leave the directory owned by a loop nobody
            // holds any more, so every later leader activation on this silo would fail to open it.
            LogStepFailed(Logger, ex, grain.Topic, grain.Partition, ex.Message);
        }
        finally
        {
            await CloseLogAsync();
        }

        return _highWatermark;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            Step step;
            try
            {
                step = await StepAsync(cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // The leader's silo is down or not yet replaced, the registry is busy, a timeout: read the state anew.
                LogStepFailed(Logger, ex, grain.Topic, grain.Partition, ex.Message);
                step = Step.Backoff;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (step == Step.Stop)
            {
                await CloseLogAsync();
                grain.LoopEnded(this);
                return;
            }

            if (step == Step.Backoff)
            {
                _topic = null;
                failures++;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 << Math.Min(failures, 5))), _time, cancellationToken);
            }
            else
            {
                failures = 0;
            }
        }
    }

    private async Task<Step> StepAsync(CancellationToken cancellationToken)
    {
        // From the topic grain (the controller) rather than the registry, whose re-activation after its silo died stalls
        // readers for seconds; bounded, so a call lost with a dead silo is asked again instead of waiting 30 s.
        _topic ??= await grain.Grains.GetGrain<ITopicGrain>(grain.Topic).GetInfo().WaitAsync(ControlCallTimeout, _time, cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            return Step.Continue;
        }

        if (_topic is not { } topic || grain.Partition >= topic.Partitions.Count)
        {
            await DropCopyAsync(_log?.TopicId);
            return Step.Stop;
        }

        if (_log is { } stale && stale.TopicId != topic.TopicId)
        {
            await DropCopyAsync(stale.TopicId); // the topic was deleted and created again under its name
        }
        else if (_log is { } current && !PartitionGrain.SameConfigs(current.Overrides, topic.ConfigOverrides))
        {
            await CloseLogAsync(); // a log's settings are fixed while it is open: reopened below with the new ones
        }

        var partition = topic.Partitions[grain.Partition];
        if (!partition.Replicas.Contains(grain.SiloId))
        {
            // Reassigned away (or never ours): this silo's copy goes.
            await DropCopyAsync(topic.TopicId);
            return Step.Stop;
        }

        if (partition.Leader == grain.SiloId)
        {
            // This silo leads: hand the directory to the leader grain, and make sure it is activated.
            await CloseLogAsync();
            _ = grain.Grains.GetPartitionGrain(grain.Topic, grain.Partition).GetOffsets();
            return Step.Stop;
        }

        if (partition.Leader == PartitionInfo.NoLeader || !EnsureOpen(topic))
        {
            return Step.Backoff;
        }

        var open = _log!;
        _leaderEpoch = partition.LeaderEpoch;
        if (_truncatedForEpoch != partition.LeaderEpoch)
        {
            await TruncateByEpochAsync(open, partition, cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                return Step.Continue;
            }

            _truncatedForEpoch = partition.LeaderEpoch;
        }

        return await FetchAsync(open, partition, cancellationToken);
    }

    private async Task<Step> FetchAsync(FollowerLog open, PartitionInfo partition, CancellationToken cancellationToken)
    {
        var options = grain.Options;
        var wait = TimeSpan.FromMilliseconds(Math.Max(0, options.ReplicaFetchWaitMaxMs));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait + FetchGrace);
        var command = new ReplicaFetchCommand(open.TopicId, grain.SiloId, partition.LeaderEpoch, open.Log.LogEndOffset, options.ReplicaFetchMaxBytes, wait);
        // The token is cooperative (Orleans still waits for the answer of a call it delivered), so the wait is bounded
        // here too: a fetch lost on its way must not stall this copy until Orleans' response timeout.
        var result = await grain.Grains.GetPartitionGrain(grain.Topic, grain.Partition).ReplicaFetch(command, timeout.Token)
            .WaitAsync(wait + FetchGrace + FetchGrace, _time, cancellationToken);
        if (cancellationToken.IsCancellationRequested || !ReferenceEquals(_log, open))
        {
            return Step.Continue;
        }

        switch (result.Error)
        {
            case KafkaErrorCode.None:
                Append(open, result.Records);
                _highWatermark = Math.Min(result.HighWatermark, open.Log.LogEndOffset);
                FollowLogStart(open, result.LogStartOffset);
                return Step.Continue;
            case KafkaErrorCode.OffsetOutOfRange when open.Log.LogEndOffset < result.LogStartOffset:
                // The leader deleted what this copy still misses (retention, DeleteRecords): start over at its log start.
                await ResetToAsync(open, result.LogStartOffset);
                return Step.Continue;
            case KafkaErrorCode.OffsetOutOfRange when open.Log.LogEndOffset > result.LogEndOffset:
                // Ahead of the leader after the epoch check: the suffix is not the leader's, drop it.
                await TruncateToAsync(open, result.LogEndOffset);
                return Step.Continue;
            default:
                LogFetchRefused(Logger, grain.Topic, grain.Partition, result.Error, partition.LeaderEpoch, result.LeaderEpoch);
                return Step.Backoff;
        }
    }

    /// <summary>
    /// KIP-101/KIP-279: asks the leader where this copy's latest epoch ends in its log and truncates what lies beyond, so
    /// records that only a dead leader had are not kept next to the new leader's records at the same offsets.
    /// </summary>
    private async Task TruncateByEpochAsync(FollowerLog open, PartitionInfo partition, CancellationToken cancellationToken)
    {
        var latest = open.Epochs.LatestEpoch;
        if (open.Log.LogEndOffset == open.Log.LogStartOffset || latest < 0)
        {
            return;
        }

        var answer = await grain.Grains.GetPartitionGrain(grain.Topic, grain.Partition)
            .OffsetForLeaderEpoch(open.TopicId, partition.LeaderEpoch, latest)
            .WaitAsync(EpochQueryTimeout, _time, cancellationToken);
        if (answer.Error != KafkaErrorCode.None)
        {
            throw new InvalidOperationException($"OffsetForLeaderEpoch answered {answer.Error}");
        }

        long target;
        if (answer.EndOffset < 0)
        {
            // The leader knows no epoch this old: only what was committed is known to be shared.
            target = Math.Max(open.Log.LogStartOffset, _highWatermark);
        }
        else if (answer.LeaderEpoch == latest)
        {
            target = answer.EndOffset;
        }
        else
        {
            // The leader's largest epoch below ours: both logs agree up to where that epoch ends in both.
            target = Math.Min(answer.EndOffset, open.Epochs.EndOffsetFor(answer.LeaderEpoch, open.Log.LogEndOffset).EndOffset);
        }

        if (target < open.Log.LogEndOffset)
        {
            await TruncateToAsync(open, target);
        }
    }

    private void Append(FollowerLog open, ReadOnlyMemory<byte> records)
    {
        if (records.IsEmpty)
        {
            return;
        }

        try
        {
            open.Log.AppendAsFollower(records);
        }
        catch (LogException ex)
        {
            // Not contiguous with this copy or damaged in transit: check the epochs again before the next fetch.
            LogAppendRefused(Logger, grain.Topic, grain.Partition, ex.Kind, ex.Message);
            _truncatedForEpoch = -1;
            return;
        }

        open.Epochs.AssignFromBatches(records.Span);
        var span = records.Span;
        while (RecordBatchHeader.TryRead(span, out var header) && RecordBatch.TryPeekSize(span, out var size) && size <= span.Length)
        {
            if (header.ProducerId >= 0)
            {
                open.Producers.OnAppended(header, header.BaseOffset, header.LastOffset);
            }

            span = span[size..];
        }
    }

    /// <summary>Follows the leader's log start (retention, DeleteRecords) within what this copy holds.</summary>
    private static void FollowLogStart(FollowerLog open, long leaderLogStart)
    {
        if (leaderLogStart > open.Log.LogStartOffset && leaderLogStart <= open.Log.LogEndOffset && open.Settings.AllowsDeleteRecords)
        {
            var low = open.Log.DeleteRecordsBefore(leaderLogStart);
            open.Producers.DeleteSnapshotsBelow(low);
            open.Epochs.TruncateFromStart(low);
        }
    }

    private async Task TruncateToAsync(FollowerLog open, long offset)
    {
        // No compaction pass may rewrite segments under a truncation: stopped first, started again on the result.
        await StopCompactionAsync(open);
        LogTruncated(Logger, grain.Topic, grain.Partition, open.Log.LogEndOffset, offset);
        open.Log.TruncateTo(offset);
        open.Epochs.TruncateFromEnd(offset);
        ReloadProducers(open);
        _highWatermark = Math.Min(_highWatermark, offset);
    }

    private async Task ResetToAsync(FollowerLog open, long offset)
    {
        await StopCompactionAsync(open);
        LogTruncated(Logger, grain.Topic, grain.Partition, open.Log.LogEndOffset, offset);
        open.Log.TruncateFullyAndStartAt(offset);
        open.Epochs.Clear();
        ReloadProducers(open);
        _highWatermark = -1;
    }

    /// <summary>
    /// The producer state must not remember truncated batches: rebuild it from the log (as the tracker asks); compaction,
    /// stopped for the truncation, starts again.
    /// </summary>
    private void ReloadProducers(FollowerLog open)
    {
        open.Producers.Dispose();
        _log = open with
        {
            Producers = ProducerStateTracker.Load(open.Log, _time, Logger),
            Compaction = open.Compaction is null ? null : StartCompaction(open.Log, open.Overrides),
        };
    }

    private PartitionCompaction? StartCompaction(PartitionLog log, IReadOnlyDictionary<string, string> overrides) =>
        PartitionCompaction.StartIfCompacted(log, overrides, grain.Options, _time, grain.Services, Logger, $"{grain.Topic}-{grain.Partition} (replica)");

    private static async Task StopCompactionAsync(FollowerLog open)
    {
        if (open.Compaction is { IsStopped: false } compaction)
        {
            await compaction.StopAsync();
        }
    }

    private bool EnsureOpen(TopicInfo topic)
    {
        if (_log is not null)
        {
            return true;
        }

        if (!grain.Ownership.TryAcquire(grain.Directory, this))
        {
            return false; // the leader grain of this silo still has it (it is stepping down)
        }

        try
        {
            PartitionDirectory.Prepare(grain.Directory, topic.TopicId);
            var settings = PartitionLogSettings.From(topic.ConfigOverrides);
            var log = PartitionLog.Open(grain.Directory, settings.Log, _time);
            try
            {
                _log = new FollowerLog(log, ProducerStateTracker.Load(log, _time, Logger), LeaderEpochCache.Open(log), topic.TopicId, settings,
                    topic.ConfigOverrides, StartCompaction(log, topic.ConfigOverrides));
            }
            catch
            {
                log.Dispose();
                throw;
            }
        }
        catch
        {
            grain.Ownership.Release(grain.Directory, this);
            throw;
        }

        _truncatedForEpoch = -1;
        LogFollowing(Logger, grain.Topic, grain.Partition, _log.Log.LogEndOffset);
        return true;
    }

    /// <summary>Stops the copy's compaction (a pass in flight ends first), then closes the log and releases the directory.</summary>
    private async Task CloseLogAsync()
    {
        if (_log is not { } open)
        {
            return;
        }

        _log = null;
        await StopCompactionAsync(open);
        var highWatermark = Math.Min(_highWatermark, open.Log.LogEndOffset);
        open.Log.Dispose();
        open.Producers.Dispose();
        grain.Ownership.Release(grain.Directory, this, highWatermark);
    }

    /// <summary>Closes this copy and deletes its directory when it belongs to <paramref name="topicId"/>.</summary>
    private async Task DropCopyAsync(Guid? topicId)
    {
        await CloseLogAsync();
        if (topicId is { } id && !grain.Ownership.IsHeld(grain.Directory) && PartitionDirectory.DeleteIfOwnedBy(grain.Directory, id))
        {
            LogDropped(Logger, grain.Topic, grain.Partition);
        }
    }

    /// <summary>
    /// Periodic: retention below the high watermark, time-based flush, producer expiry, a prompt compaction pass, and a
    /// fresh read of the topic on the next step (so a config change reaches this copy, as the leader's maintenance does).
    /// </summary>
    public Task RunMaintenance()
    {
        _topic = null;
        if (_log is { } open)
        {
            open.Compaction?.Kick();
            if (open.Settings.AllowsDeleteRecords && _highWatermark >= 0)
            {
                open.Log.ApplyRetention(_highWatermark);
                open.Producers.DeleteSnapshotsBelow(open.Log.LogStartOffset);
                open.Epochs.TruncateFromStart(open.Log.LogStartOffset);
            }

            open.Log.FlushIfDue();
            open.Producers.RemoveExpiredProducers();
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 3350, Level = LogLevel.Information, Message = "Replica {Topic}-{Partition} follows from offset {LogEnd}")]
    private static partial void LogFollowing(ILogger logger, string topic, int partition, long logEnd);

    [LoggerMessage(EventId = 3351, Level = LogLevel.Information, Message = "Replica {Topic}-{Partition} truncated from {From} to {To}")]
    private static partial void LogTruncated(ILogger logger, string topic, int partition, long from, long to);

    [LoggerMessage(EventId = 3352, Level = LogLevel.Debug, Message = "Replica {Topic}-{Partition}: step failed ({Reason})")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, string topic, int partition, string reason);

    [LoggerMessage(EventId = 3353, Level = LogLevel.Debug, Message = "Replica {Topic}-{Partition}: leader refused the fetch with {Error} (our epoch {Ours}, leader's {Theirs})")]
    private static partial void LogFetchRefused(ILogger logger, string topic, int partition, KafkaErrorCode error, int ours, int theirs);

    [LoggerMessage(EventId = 3354, Level = LogLevel.Warning, Message = "Replica {Topic}-{Partition} refused replicated batches ({Kind}): {Reason}")]
    private static partial void LogAppendRefused(ILogger logger, string topic, int partition, LogErrorKind kind, string reason);

    [LoggerMessage(EventId = 3355, Level = LogLevel.Information, Message = "Replica {Topic}-{Partition} is no longer assigned to this silo; its files were deleted")]
    private static partial void LogDropped(ILogger logger, string topic, int partition);
}
