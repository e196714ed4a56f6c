using System.Buffers;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Compaction;

/// <summary>
/// Compacts one partition log (Kafka's LogCleaner, one log at a time). A pass: measures the dirty ratio of the closed segments (bytes at or
/// past the cleaner checkpoint / all cleanable bytes) and stops below
/// <c>min.cleanable.dirty.ratio</c>; builds a key → newest offset map over the dirty section;
/// rewrites the closed segments, in groups that fit <c>segment.bytes</c>, keeping for each
/// record only the newest of its key; and commits each group through
/// <see cref="PartitionLog.ReplaceSegments"/>, whose <c>.swap</c> rename is the crash commit
/// point. The active segment and anything from the first open transaction on are never cleaned.
/// </summary>
/// <remarks>
/// Passes run on the thread pool (<see cref="CleanAsync"/>), one at a time per cleaner. They read
/// closed segment files directly (immutable until replaced) and change the log only through
/// <see cref="PartitionLog.ReplaceSegments"/>, which takes the log's writer lock for its short
/// commit: appends and reads go on meanwhile. Retention under <c>compact,delete</c> stays with the
/// log's owner (its periodic <see cref="PartitionLog.ApplyRetention"/> bounded by the high
/// watermark, on the writer's thread where <see cref="PartitionLog.SegmentRolled"/> must fire);
/// the cleaner only compacts what retention left.
/// Kafka's rules kept: retained records keep their offsets; batches keep producer id, epoch and
/// base sequence; a producer's last batch stays as an empty header when all its records go;
/// tombstones and transaction markers get a delete horizon (now + <c>delete.retention.ms</c>)
/// when first cleaned and are removed by a pass after it; aborted transactional records go;
/// a marker goes only once past its horizon and when no data of its transaction was kept.
/// Records without a key (Kafka refuses them on compacted topics) are dropped and counted.
/// </remarks>
public sealed class LogCleaner
{
    public const string CleanedSuffix = ".cleaned";

    private readonly PartitionLog _log;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _runLock = new();
    private readonly Lock _checkpointLock = new();
    private int _truncations;
    private Task<CleanerResult>? _running;

    public LogCleaner(PartitionLog log, CleanerConfig config, TimeProvider? time = null, ILogger<LogCleaner>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _log = log;
        Config = config;
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public CleanerConfig Config { get; }

    /// <summary>Test hook: called with the stage and the cleaned file's path around each swap.</summary>
    internal Action<CleanerStage, string>? StageReached { get; set; }

    /// <summary>The first offset not yet cleaned, as the checkpoint file says (the log start when absent).</summary>
    public long FirstDirtyOffset => Math.Max(CleanerCheckpoint.Read(_log.Directory) ?? 0, _log.LogStartOffset);

    /// <summary>Dirty bytes / cleanable bytes of the closed segments now (0 when none is closed).</summary>
    public double DirtyRatio()
    {
        var closed = ClosedSegments.Of(_log.Segments);
        return Measure(closed, closed.Count, ClampFirstDirty(closed)).Ratio;
    }

    /// <summary>
    /// Runs a pass on the thread pool, or returns the pass already running. With
    /// <paramref name="force"/> it cleans whatever the dirty ratio (e.g. to drop tombstones whose
    /// delete horizon passed; Kafka's cleaner also picks such logs up on its own schedule).
    /// </summary>
    public Task<CleanerResult> CleanAsync(bool force = false, CancellationToken cancellation = default)
    {
        lock (_runLock)
        {
            if (_running is { IsCompleted: false })
            {
                return _running;
            }

            _running = Task.Run(() => RunPassAsync(force, cancellation), cancellation);
            return _running;
        }
    }

    /// <summary>
    /// Tell the cleaner the log was truncated to <paramref name="offset"/> (follower truncation;
    /// Kafka's maybeTruncateCheckpoint): the checkpoint comes down to it, so records appended
    /// again above it count as dirty, and a pass already running will not write its older end.
    /// </summary>
    public void NotifyTruncated(long offset)
    {
        lock (_checkpointLock)
        {
            _truncations++;
            if (CleanerCheckpoint.Read(_log.Directory) is { } checkpoint && checkpoint > offset)
            {
                CleanerCheckpoint.Write(_log.Directory, offset);
            }
        }
    }

    /// <summary>
    /// Runs passes until <paramref name="cancellation"/> fires, waiting <paramref name="backoff"/>
    /// after each (Kafka's <c>log.cleaner.backoff.ms</c>, 15 s by default). A pass that fails on
    /// unreadable data is logged and retried after the back-off, as Kafka's cleaner moves on; the
    /// log itself is untouched by a failed pass.
    /// </summary>
    public async Task RunAsync(TimeSpan backoff, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                await CleanAsync(force: false, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException)
            {
                CleanerLog.PassFailed(_logger, ex, _log.Directory);
            }

            try
            {
                await Task.Delay(backoff, _time, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<CleanerResult> RunPassAsync(bool force, CancellationToken cancellation)
    {
        int truncationsAtStart;
        lock (_checkpointLock)
        {
            truncationsAtStart = _truncations;
        }

        var closed = ClosedSegments.Of(_log.Segments);
        var firstDirty = ClampFirstDirty(closed);
        if (!Config.CleanupPolicy.HasFlag(CleanupPolicy.Compact) || closed.Count == 0)
        {
            return new CleanerResult(false, 0, firstDirty, firstDirty);
        }

        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var cleanable = 0;
        // Never into records younger than min.compaction.lag.ms.
        while (cleanable < closed.Count
            && (Config.MinCompactionLagMs == 0 || closed[cleanable].MaxTimestamp <= nowMs - Config.MinCompactionLagMs))
        {
            cleanable++;
        }

        // The ratio gate comes before any segment is read, so a skipped pass costs no I/O.
        var (ratio, dirtyBytes) = Measure(closed, cleanable, firstDirty);
        force |= dirtyBytes > 0 && OverdueForCompaction(closed, cleanable, firstDirty, nowMs);
        if (cleanable == 0 || (!force && (dirtyBytes == 0 || ratio < Config.MinCleanableDirtyRatio)))
        {
            CleanerLog.Skipped(_logger, _log.Directory, ratio, Config.MinCleanableDirtyRatio);
            return new CleanerResult(false, ratio, firstDirty, firstDirty);
        }

        RemoveLeftovers();
        var transactions = TransactionScan.Run(closed.List.Select(s => (s.LogPath, s.Size)), Config.IoBufferBytes, cancellation);
        // Nor past an open transaction: whether its records stay is not known yet.
        while (cleanable > 0 && NextBase(closed, cleanable - 1) > transactions.FirstUnstableOffset)
        {
            cleanable--;
        }

        if (cleanable == 0)
        {
            return new CleanerResult(false, ratio, firstDirty, firstDirty);
        }

        var map = new OffsetMap();
        var upperCount = BuildOffsetMap(closed, cleanable, firstDirty, transactions, map, cancellation);
        var upper = NextBase(closed, upperCount - 1);
        var pass = new PassState(transactions, map, nowMs, Config.DeleteRetentionMs);
        var rewritten = 0;
        foreach (var group in Group(closed, upperCount))
        {
            cancellation.ThrowIfCancellationRequested();
            var outcome = await CleanGroupAsync(group, pass).ConfigureAwait(false);
            if (outcome is { } reason)
            {
                CleanerLog.Aborted(_logger, _log.Directory, reason);
                return Result(pass, false, ratio, firstDirty, firstDirty, rewritten) with { Aborted = true };
            }

            rewritten += group.Count;
        }

        lock (_checkpointLock)
        {
            if (_truncations != truncationsAtStart)
            {
                // The log was cut meanwhile: what this pass calls clean may have been replaced.
                CleanerLog.Aborted(_logger, _log.Directory, "the log was truncated during the pass");
                return Result(pass, false, ratio, firstDirty, firstDirty, rewritten) with { Aborted = true };
            }

            CleanerCheckpoint.Write(_log.Directory, upper);
        }

        CleanerLog.Cleaned(_logger, _log.Directory, upper, rewritten, pass.BytesRead, pass.BytesWritten, pass.RecordsRetained, pass.RecordsRead, pass.InvalidRecords);
        return Result(pass, true, ratio, firstDirty, upper, rewritten);
    }

    private static CleanerResult Result(PassState pass, bool cleaned, double ratio, long firstDirty, long upTo, int rewritten) =>
        new(cleaned, ratio, firstDirty, upTo, rewritten, pass.RecordsRead, pass.RecordsRetained, pass.InvalidRecords, pass.BytesRead, pass.BytesWritten);

    /// <summary>The checkpoint, reset to the first closed segment when a truncation or deletion left it outside them.</summary>
    private long ClampFirstDirty(ClosedSegments closed)
    {
        if (closed.Count == 0)
        {
            return _log.LogStartOffset;
        }

        var checkpoint = CleanerCheckpoint.Read(_log.Directory) ?? closed[0].BaseOffset;
        return checkpoint < closed[0].BaseOffset || checkpoint > NextBase(closed, closed.Count - 1) ? closed[0].BaseOffset : checkpoint;
    }

    /// <summary>
    /// max.compaction.lag.ms: the first dirty segment's first batch is older than the lag (Kafka
    /// reads the same timestamp), so the log is cleaned whatever its dirty ratio.
    /// </summary>
    private bool OverdueForCompaction(ClosedSegments closed, int cleanable, long firstDirty, long nowMs)
    {
        if (Config.MaxCompactionLagMs == long.MaxValue)
        {
            return false;
        }

        for (var i = 0; i < cleanable; i++)
        {
            if (NextBase(closed, i) <= firstDirty)
            {
                continue;
            }

            using var reader = new SegmentBatchReader(closed[i].LogPath, closed[i].Size, Config.IoBufferBytes);
            return reader.TryRead(out var header, out _) && header.MaxTimestamp >= 0 && header.MaxTimestamp < nowMs - Config.MaxCompactionLagMs;
        }

        return false;
    }

    /// <summary>A segment holding any offset at or past the checkpoint counts as dirty, as in Kafka.</summary>
    private static (double Ratio, long DirtyBytes) Measure(ClosedSegments closed, int cleanable, long firstDirty)
    {
        long total = 0, dirty = 0;
        for (var i = 0; i < cleanable; i++)
        {
            total += closed[i].Size;
            if (NextBase(closed, i) > firstDirty)
            {
                dirty += closed[i].Size;
            }
        }

        return (total == 0 ? 0 : (double)dirty / total, dirty);
    }

    private static long NextBase(ClosedSegments closed, int i) => closed.NextBase(i);

    /// <summary>
    /// Fills the map from the dirty records (committed or non-transactional data with a key) and
    /// returns how many segments the pass covers: fewer than <paramref name="cleanable"/> when the
    /// map filled up, so the rest waits for the next pass.
    /// </summary>
    private int BuildOffsetMap(ClosedSegments closed, int cleanable, long firstDirty, TransactionScan transactions, OffsetMap map, CancellationToken cancellation)
    {
        var scratch = new ArrayBufferWriter<byte>();
        for (var i = 0; i < cleanable; i++)
        {
            if (NextBase(closed, i) <= firstDirty)
            {
                continue;
            }

            cancellation.ThrowIfCancellationRequested();
            using var reader = new SegmentBatchReader(closed[i].LogPath, closed[i].Size, Config.IoBufferBytes);
            while (reader.TryRead(out var header, out var batch))
            {
                if (header.IsControl || header.LastOffset < firstDirty || (header.IsTransactional && transactions.IsAborted(header.BaseOffset)))
                {
                    continue;
                }

                foreach (var record in RecordBatch.GetRecords(batch.Span, header, scratch))
                {
                    var offset = header.BaseOffset + record.OffsetDelta;
                    if (!record.KeyIsNull && offset >= firstDirty)
                    {
                        map.Put(record.Key, offset);
                    }
                }
            }

            if (map.Count >= Config.MaxOffsetMapEntries)
            {
                return i + 1;
            }
        }

        return cleanable;
    }

    /// <summary>
    /// Consecutive segments whose sizes together fit segment.bytes, whose index entries together
    /// fit segment.index.bytes (Kafka's groupSegmentsBySize bounds both: the log's recovery stops
    /// at a full index) and whose offsets fit a 32-bit relative index.
    /// </summary>
    private IEnumerable<List<LogSegmentInfo>> Group(ClosedSegments closed, int count)
    {
        var config = _log.Config;
        // Time index entries are the larger (12 bytes); keep one spare for the entry written at seal.
        var maxEntries = (config.SegmentIndexBytes / 12) - 1;
        long Entries(LogSegmentInfo s) => (s.Size / Math.Max(config.IndexIntervalBytes, RecordBatch.MinSize)) + 1;
        var i = 0;
        while (i < count)
        {
            var group = new List<LogSegmentInfo> { closed[i] };
            var size = closed[i].Size;
            var entries = Entries(closed[i]);
            var j = i + 1;
            while (j < count && size + closed[j].Size <= config.SegmentBytes
                && entries + Entries(closed[j]) <= maxEntries
                && NextBase(closed, j) - closed[i].BaseOffset <= int.MaxValue)
            {
                group.Add(closed[j]);
                size += closed[j].Size;
                entries += Entries(closed[j]);
                j++;
            }

            yield return group;
            i = j;
        }
    }

    /// <summary>Rewrites one group and swaps it in. Returns why it stopped, or null when done.</summary>
    private async Task<string?> CleanGroupAsync(List<LogSegmentInfo> group, PassState pass)
    {
        var path = LeftoverPath(group[0].BaseOffset);
        bool changed;
        try
        {
            changed = WriteCleaned(group, path, pass);
            if (!changed && group.Count == 1)
            {
                File.Delete(path);
                return null;
            }

            // Sealed segments are fsynced in the background; let that finish before their files go.
            await _log.BackgroundFlush.ConfigureAwait(false);
            if (!StillInLog(group))
            {
                File.Delete(path);
                return "a segment of the group was removed or changed";
            }

            StageReached?.Invoke(CleanerStage.BeforeSwap, path);
            _log.ReplaceSegments(group.Select(s => s.BaseOffset).ToList(), path);
            StageReached?.Invoke(CleanerStage.AfterSwap, path);
            return null;
        }
        catch (ArgumentException ex)
        {
            // ReplaceSegments refused: retention or truncation took the segments meanwhile.
            File.Delete(path);
            return ex.Message;
        }
    }

    private bool StillInLog(List<LogSegmentInfo> group)
    {
        var now = _log.Segments;
        var first = now.ToList().FindIndex(s => s.BaseOffset == group[0].BaseOffset);
        if (first < 0 || first + group.Count >= now.Count)
        {
            return false;
        }

        for (var i = 0; i < group.Count; i++)
        {
            if (now[first + i].BaseOffset != group[i].BaseOffset || now[first + i].Size != group[i].Size || now[first + i].IsActive)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes the cleaned batches of the group to <paramref name="path"/> and fsyncs it; true when anything changed.</summary>
    private bool WriteCleaned(List<LogSegmentInfo> group, string path, PassState pass)
    {
        var changed = false;
        using var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var batchBuffer = new ArrayBufferWriter<byte>();
        for (var s = 0; s < group.Count; s++)
        {
            pass.BytesRead += group[s].Size;
            using var reader = new SegmentBatchReader(group[s].LogPath, group[s].Size, Config.IoBufferBytes);
            while (reader.TryRead(out var header, out var batch))
            {
                // The group's last batch always stays (if only as an empty header): the cleaned
                // file then spans the group's offsets, which a crash-time swap completion relies on.
                var isLast = s == group.Count - 1 && reader.AtEnd;
                batchBuffer.ResetWrittenCount();
                var decision = header.IsControl
                    ? pass.CleanControlBatch(header, batch.Span, isLast, batchBuffer)
                    : pass.CleanDataBatch(header, batch.Span, isLast, batchBuffer);
                switch (decision)
                {
                    case BatchDecision.KeepOriginal:
                        output.Write(batch.Span);
                        pass.BytesWritten += batch.Length;
                        break;
                    case BatchDecision.Rewritten:
                        output.Write(batchBuffer.WrittenSpan);
                        pass.BytesWritten += batchBuffer.WrittenCount;
                        changed = true;
                        break;
                    default:
                        changed = true;
                        break;
                }
            }
        }

        output.Flush(flushToDisk: true);
        return changed;
    }

    private string LeftoverPath(long baseOffset) =>
        Path.Combine(_log.Directory, baseOffset.ToString("D20", CultureInfo.InvariantCulture) + ".log" + CleanedSuffix);

    /// <summary>Cleaned files of a pass that failed (the log's open removes them too).</summary>
    private void RemoveLeftovers()
    {
        foreach (var path in Directory.EnumerateFiles(_log.Directory, "*" + CleanedSuffix))
        {
            File.Delete(path);
        }
    }
}

/// <summary>The closed segments of a snapshot, oldest first, and the active segment's base after them.</summary>
internal sealed class ClosedSegments
{
    private ClosedSegments(List<LogSegmentInfo> list, long activeBase)
    {
        List = list;
        ActiveBase = activeBase;
    }

    public List<LogSegmentInfo> List { get; }

    public long ActiveBase { get; }

    public int Count => List.Count;

    public LogSegmentInfo this[int index] => List[index];

    public static ClosedSegments Of(IReadOnlyList<LogSegmentInfo> segments) =>
        new([.. segments.Where(s => !s.IsActive)], segments[^1].BaseOffset);

    /// <summary>Offset after the closed segment at <paramref name="i"/>: the next segment's base.</summary>
    public long NextBase(int i) => i + 1 < List.Count ? List[i + 1].BaseOffset : ActiveBase;
}

/// <summary>Points of a pass the tests can stop at to play a crash.</summary>
internal enum CleanerStage
{
    /// <summary>The cleaned file is written and fsynced; the swap has not begun.</summary>
    BeforeSwap,

    /// <summary>The swap is done.</summary>
    AfterSwap,
}

internal enum BatchDecision
{
    Drop,
    KeepOriginal,
    Rewritten,
}
