using System.Buffers;
using Microsoft.Extensions.Logging;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Producers;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// The idempotent-producer state of one partition, kept in step with its <see cref="PartitionLog"/>:
/// the partition grain asks <see cref="Check"/> before appending a producer's batch and reports it
/// with <see cref="OnAppended"/> after. State is snapshotted (Storage's
/// <see cref="ProducerStateManager"/> snapshot files, in the log directory) when a segment rolls
/// and when the log closes cleanly; <see cref="Load"/> takes the newest snapshot not past the log
/// end and replays the log from there, so the state after a crash equals the state after a clean
/// close.
/// </summary>
/// <remarks>
/// <para>Unknown producers. Kafka since 2.5 (KIP-360) accepts a non-zero first sequence from a
/// producer it has no state for, because that state may have expired or been removed with old
/// segments; older brokers answered UNKNOWN_PRODUCER_ID. We answer UNKNOWN_PRODUCER_ID only when
/// we are sure the producer never wrote here: not for a producer we expired (remembered, bounded,
/// until the next load) and not at all when the state may be incomplete (no usable snapshot at or
/// above the log start, e.g. the snapshots were lost and retention ran). A wrong
/// UNKNOWN_PRODUCER_ID (a producer expired before a restart) is recoverable: the client
/// re-initializes its producer id (KIP-360) and starts again at sequence 0.</para>
/// <para>Transaction markers reported through <see cref="OnAppended"/> close the producer's
/// transaction; whether it committed or aborted is not in the header and matters only to the
/// aborted-transaction index, which belongs to the transactions work.</para>
/// <para>After the log is truncated (a follower catching up), dispose the tracker and
/// <see cref="Load"/> again. Not thread-safe: the partition's single writer owns it.</para>
/// </remarks>
internal sealed partial class ProducerStateTracker : IDisposable
{
    /// <summary>Kafka's default <c>producer.id.expiration.check.interval.ms</c>: ten minutes.</summary>
    public const long ExpirationCheckIntervalMs = 600_000;

    /// <summary>How many expired producer ids are remembered as "known before" (bounded memory).</summary>
    internal const int ExpiredProducersToRemember = 100_000;

    private const int ReplayChunkBytes = 1 << 20;

    private readonly PartitionLog _log;
    private readonly ProducerStateManager _state;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HashSet<long> _expired = [];
    private readonly Queue<long> _expiredOrder = new();
    private readonly ArrayBufferWriter<byte> _scratch = new();

    // The state covers every batch below this offset.
    private long _nextOffset;
    private long _lastExpiryCheckMs;
    private bool _stateMayBeIncomplete;
    private bool _disposed;

    private ProducerStateTracker(PartitionLog log, ProducerStateManager state, TimeProvider time, ILogger logger)
    {
        _log = log;
        _state = state;
        _time = time;
        _logger = logger;
        _lastExpiryCheckMs = NowMs();
    }

    /// <summary>First offset of the oldest open transaction (the last stable offset bound), or null.</summary>
    public long? FirstUnstableOffset => _state.FirstUnstableOffset;

    /// <summary>Producers this partition knows, by id (for tests and DescribeProducers).</summary>
    public IReadOnlyDictionary<long, ProducerEntry> Producers => _state.Producers;

    /// <summary>The state covers every batch below this offset.</summary>
    public long NextOffset => _nextOffset;

    /// <summary>
    /// Builds the state of <paramref name="log"/>: deletes snapshots above the log end (left by a
    /// truncation), loads the newest intact one, replays every batch from its offset to the log end
    /// (control batches too), and subscribes to the log's roll and close events to snapshot.
    /// </summary>
    public static ProducerStateTracker Load(PartitionLog log, TimeProvider time, ILogger logger, ProducerStateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);

        // Unknown producers are judged here (see remarks), so the manager always reports them.
        var managerOptions = new ProducerStateOptions
        {
            ProducerIdExpirationMs = options?.ProducerIdExpirationMs ?? ProducerStateOptions.DefaultProducerIdExpirationMs,
            RejectUnknownProducerNonZeroSequence = true,
        };
        var tracker = new ProducerStateTracker(log, new ProducerStateManager(managerOptions, time), time, logger);
        tracker.LoadFromDisk();
        log.SegmentRolled += tracker.OnSegmentRolled;
        log.Closing += tracker.OnClosing;
        return tracker;
    }

    /// <summary>
    /// Classifies a batch before it is appended; changes nothing. Batches without a producer id
    /// are always <see cref="ProducerAppendStatus.Ok"/>.
    /// </summary>
    public ProducerCheckResult Check(in RecordBatchHeader header)
    {
        if (header.ProducerId < 0)
        {
            return ProducerCheckResult.Ok;
        }

        var check = header.IsControl
            ? _state.CheckControlBatch(header.ProducerId, header.ProducerEpoch)
            : _state.CheckAndPrepare(header.ProducerId, header.ProducerEpoch, header.BaseSequence, header.LastSequence, header.IsTransactional);
        if (check.Status == ProducerAppendStatus.UnknownProducerId && (_stateMayBeIncomplete || _expired.Contains(header.ProducerId)))
        {
            return ProducerCheckResult.Ok; // we may have known it: accept, as Kafka >= 2.5 does
        }

        return check.IsOk
            ? ProducerCheckResult.Ok
            : new ProducerCheckResult(check.Status, check.DuplicateFirstOffset, check.DuplicateLastOffset, check.Message);
    }

    /// <summary>
    /// Records a batch appended at [<paramref name="firstOffset"/>, <paramref name="lastOffset"/>].
    /// Every appended batch that carries a producer id must be reported, in log order, right after
    /// its append (before the next one): snapshots taken at a roll or close assume that the state
    /// covers the whole log below that point. Batches without a producer id may be reported or not.
    /// Batches below <see cref="NextOffset"/> (already read from the log) are ignored.
    /// </summary>
    public void OnAppended(in RecordBatchHeader header, long firstOffset, long lastOffset)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (lastOffset < _nextOffset)
        {
            return;
        }

        if (header.ProducerId >= 0 && _state.Producers.TryGetValue(header.ProducerId, out var known) && known.Epoch != header.ProducerEpoch)
        {
            // Rare and telling: a producer re-initialised (KIP-360 epoch bump) resends what it could not confirm.
            LogEpochChanged(_logger, _log.Directory, header.ProducerId, known.Epoch, header.ProducerEpoch, header.BaseSequence, firstOffset);
        }

        ApplyAppended(header, firstOffset, lastOffset, ControlBatchType.Commit, coordinatorEpoch: -1);
        _nextOffset = lastOffset + 1;
        if (NowMs() - _lastExpiryCheckMs >= ExpirationCheckIntervalMs)
        {
            RemoveExpiredProducers();
        }
    }

    /// <summary>
    /// Forgets producers idle for <c>producer.id.expiration.ms</c> without an open transaction
    /// (also done every <see cref="ExpirationCheckIntervalMs"/> from <see cref="OnAppended"/>; a
    /// partition timer may call it too). Returns how many were removed.
    /// </summary>
    public int RemoveExpiredProducers()
    {
        _lastExpiryCheckMs = NowMs();
        var before = _state.Producers.Keys.ToList();
        var removed = _state.RemoveExpiredProducers();
        if (removed == 0)
        {
            return 0;
        }

        foreach (var id in before)
        {
            if (!_state.Producers.ContainsKey(id))
            {
                RememberExpired(id);
            }
        }

        LogProducersExpired(_logger, _log.Directory, removed);
        return removed;
    }

    /// <summary>
    /// Deletes snapshots below <paramref name="logStartOffset"/> after retention or DeleteRecords.
    /// If that would leave no snapshot at or above it, a fresh one is written first, so a crash
    /// never loses the state of producers whose batches were deleted.
    /// </summary>
    public void DeleteSnapshotsBelow(long logStartOffset)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var offsets = ProducerStateManager.ListSnapshotOffsets(_log.Directory);
        if (offsets.Count == 0 || offsets[^1] < logStartOffset)
        {
            AdvanceTo(_log.LogEndOffset);
            if (!TrySnapshot(_nextOffset))
            {
                return; // keep the old ones: better than none
            }
        }

        ProducerStateManager.DeleteSnapshotsBelow(_log.Directory, logStartOffset);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _log.SegmentRolled -= OnSegmentRolled;
        _log.Closing -= OnClosing;
    }

    private void LoadFromDisk()
    {
        var logEnd = _log.LogEndOffset;
        var logStart = _log.LogStartOffset;
        var deleted = ProducerStateManager.DeleteSnapshotsAbove(_log.Directory, logEnd);
        if (deleted > 0)
        {
            LogSnapshotsAboveEndDeleted(_logger, _log.Directory, deleted, logEnd);
        }

        var load = _state.LoadLatestSnapshot(_log.Directory, logEnd);
        foreach (var path in load.SkippedCorruptFiles)
        {
            LogCorruptSnapshotSkipped(_logger, path);
        }

        // Producers that wrote only between the snapshot (or the log's beginning) and the log
        // start are gone from our view: we cannot claim to have never known a producer.
        _stateMayBeIncomplete = (load.SnapshotOffset ?? 0) < logStart;
        _nextOffset = Math.Max(load.SnapshotOffset ?? logStart, logStart);
        var from = _nextOffset;
        ReplayTo(logEnd);
        LogLoaded(_logger, _log.Directory, _state.Producers.Count, load.SnapshotOffset ?? -1, from, logEnd);
    }

    /// <summary>Applies the batches in the log from <see cref="_nextOffset"/> up to <paramref name="target"/>.</summary>
    private void ReplayTo(long target)
    {
        while (_nextOffset < target)
        {
            using var read = _log.Read(_nextOffset, ReplayChunkBytes, target);
            if (read.BatchCount == 0)
            {
                // Nothing readable below the target (e.g. a compacted gap at the end): nothing to apply.
                _nextOffset = target;
                return;
            }

            var batches = read.Records.Span;
            var headers = RecordBatch.EnumerateHeaders(batches);
            while (headers.MoveNext())
            {
                var header = headers.Current;
                if (header.BaseOffset < _nextOffset)
                {
                    continue; // the read started at the batch holding _nextOffset, which we have
                }

                var control = ControlBatchType.Commit;
                var coordinatorEpoch = -1;
                if (header.IsControl && header.ProducerId >= 0)
                {
                    (control, coordinatorEpoch) = ReadMarker(batches.Slice(headers.CurrentPosition, header.TotalSize), header);
                }

                ApplyAppended(header, header.BaseOffset, header.LastOffset, control, coordinatorEpoch);
                _nextOffset = header.NextOffset;
            }

            _nextOffset = Math.Max(_nextOffset, read.NextOffset);
        }
    }

    private (ControlBatchType Type, int CoordinatorEpoch) ReadMarker(ReadOnlySpan<byte> batch, in RecordBatchHeader header)
    {
        var records = RecordBatch.GetRecords(batch, header, _scratch);
        if (records.MoveNext() && ControlRecord.TryRead(records.Current, out var marker))
        {
            return ((ControlBatchType)(short)marker.Type, marker.CoordinatorEpoch);
        }

        return (ControlBatchType.Abort, -1);
    }

    private void ApplyAppended(in RecordBatchHeader header, long firstOffset, long lastOffset, ControlBatchType control, int coordinatorEpoch)
    {
        if (header.ProducerId < 0)
        {
            return;
        }

        _state.Apply(
            header.ProducerId,
            header.ProducerEpoch,
            header.BaseSequence,
            header.LastSequence,
            firstOffset,
            lastOffset,
            header.MaxTimestamp,
            header.IsTransactional,
            header.IsControl,
            control,
            coordinatorEpoch);
        _expired.Remove(header.ProducerId);
    }

    private void RememberExpired(long producerId)
    {
        if (!_expired.Add(producerId))
        {
            return;
        }

        _expiredOrder.Enqueue(producerId);
        while (_expiredOrder.Count > ExpiredProducersToRemember)
        {
            _expired.Remove(_expiredOrder.Dequeue());
        }
    }

    // Raised inside the log's append, before the batches that caused the roll are written: every
    // earlier producer batch was reported (OnAppended's contract), so the state covers exactly the
    // offsets below the new segment; what lies between the last report and it has no producer.
    private void OnSegmentRolled(long baseOffset)
    {
        AdvanceTo(baseOffset);
        if (_nextOffset == baseOffset)
        {
            TrySnapshot(baseOffset);
        }
    }

    private void OnClosing()
    {
        var logEnd = _log.LogEndOffset;
        AdvanceTo(logEnd);
        if (_nextOffset == logEnd)
        {
            TrySnapshot(logEnd);
        }
    }

    private void AdvanceTo(long offset) => _nextOffset = Math.Max(_nextOffset, offset);

    // A snapshot only shortens the replay on the next load; failing to write one must not fail
    // the append or the close that triggered it.
    private bool TrySnapshot(long offset)
    {
        try
        {
            _state.TakeSnapshot(_log.Directory, offset);
            return true;
        }
        catch (IOException ex)
        {
            LogSnapshotFailed(_logger, ex, _log.Directory, offset);
            return false;
        }
        catch (UnauthorizedAccessException ex)
        {
            LogSnapshotFailed(_logger, ex, _log.Directory, offset);
            return false;
        }
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Producer state of {Directory}: {Producers} producer(s), snapshot at {SnapshotOffset}, replayed {From}..{LogEnd}")]
    private static partial void LogLoaded(ILogger logger, string directory, int producers, long snapshotOffset, long from, long logEnd);

    [LoggerMessage(EventId = 3402, Level = LogLevel.Information, Message = "Deleted {Count} producer-state snapshot(s) of {Directory} above the log end {LogEnd} (the log was truncated)")]
    private static partial void LogSnapshotsAboveEndDeleted(ILogger logger, string directory, int count, long logEnd);

    [LoggerMessage(EventId = 3403, Level = LogLevel.Warning, Message = "Skipped corrupt producer-state snapshot {Path}")]
    private static partial void LogCorruptSnapshotSkipped(ILogger logger, string path);

    [LoggerMessage(EventId = 3404, Level = LogLevel.Warning, Message = "Could not write the producer-state snapshot of {Directory} at offset {Offset}; the next load replays more of the log")]
    private static partial void LogSnapshotFailed(ILogger logger, Exception exception, string directory, long offset);

    [LoggerMessage(EventId = 3406, Level = LogLevel.Information, Message = "Producer {ProducerId} of {Directory} moved from epoch {OldEpoch} to {NewEpoch}, first sequence {Sequence} at offset {Offset}")]
    private static partial void LogEpochChanged(ILogger logger, string directory, long producerId, short oldEpoch, short newEpoch, int sequence, long offset);

    [LoggerMessage(EventId = 3405, Level = LogLevel.Information, Message = "Expired {Count} idle producer(s) of {Directory}")]
    private static partial void LogProducersExpired(ILogger logger, string directory, int count);
}
