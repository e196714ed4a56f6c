using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Log;

/// <summary>
/// One segment: <c>{baseOffset:D20}.log</c> with its <c>.index</c> and <c>.timeindex</c>.
/// The single writer appends; readers use <see cref="End"/>, an immutable (size, next offset)
/// pair published after the bytes and index entries are written, and never look past it.
/// Closed segments opened after a clean shutdown load their indexes on first use.
/// </summary>
internal sealed class LogSegment : IDisposable
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";

    private readonly LogConfig _config;
    private readonly SafeFileHandle _log;
    private readonly Lock _indexLoad = new();
    private OffsetIndex? _offsetIndex;
    private TimeIndex? _timeIndex;
    private SegmentEnd _end;
    private long _bytesSinceIndexEntry;

    private LogSegment(string directory, long baseOffset, LogConfig config, SafeFileHandle log, long size, long nextOffset)
    {
        Directory = directory;
        BaseOffset = baseOffset;
        _config = config;
        _log = log;
        _end = new SegmentEnd(size, nextOffset);
        MaxTimestamp = -1;
        OffsetOfMaxTimestamp = baseOffset;
    }

    public string Directory { get; }

    public long BaseOffset { get; }

    public string LogPath => FilePath(Directory, BaseOffset, LogSuffix);

    public string IndexPath => FilePath(Directory, BaseOffset, IndexSuffix);

    public string TimeIndexPath => FilePath(Directory, BaseOffset, TimeIndexSuffix);

    /// <summary>Published end: readers see bytes and offsets below it only.</summary>
    public SegmentEnd End => Volatile.Read(ref _end);

    public long Size => End.Size;

    /// <summary>Largest batch max timestamp in the segment; -1 when empty.</summary>
    public long MaxTimestamp { get; private set; }

    public long OffsetOfMaxTimestamp { get; private set; }

    /// <summary>The first batch's max timestamp (or the creation time): <c>segment.ms</c> counts from it.</summary>
    public long RollingBaseTimestamp { get; private set; }

    /// <summary>
    /// True when <see cref="RollingBaseTimestamp"/> came from a record timestamp. Then, as in Kafka, segment.ms
    /// is measured in record time (incoming batch's max timestamp minus it), so a producer replaying old
    /// timestamps does not roll a segment per append; otherwise in broker time since creation.
    /// </summary>
    public bool RollingBaseIsRecordTime { get; private set; }

    internal SafeFileHandle Handle => _log;

    public static string FilePath(string directory, long baseOffset, string suffix) =>
        Path.Combine(directory, baseOffset.ToString("D20", CultureInfo.InvariantCulture) + suffix);

    public static bool TryParseBaseOffset(string fileName, out long baseOffset)
    {
        var name = Path.GetFileName(fileName);
        baseOffset = -1;
        return name.Length == 20 + LogSuffix.Length && name.EndsWith(LogSuffix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }

    /// <summary>Creates a new empty active segment.</summary>
    public static LogSegment Create(string directory, long baseOffset, LogConfig config, long nowMs)
    {
        var log = File.OpenHandle(FilePath(directory, baseOffset, LogSuffix), FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var segment = new LogSegment(directory, baseOffset, config, log, 0, baseOffset)
        {
            _offsetIndex = OffsetIndex.Create(FilePath(directory, baseOffset, IndexSuffix), baseOffset, config.SegmentIndexBytes),
            _timeIndex = TimeIndex.Create(FilePath(directory, baseOffset, TimeIndexSuffix), baseOffset, config.SegmentIndexBytes),
            RollingBaseTimestamp = nowMs,
        };
        segment._offsetIndex.Preallocate();
        segment._timeIndex.Preallocate();
        return segment;
    }

    /// <summary>
    /// Opens a segment whose files are trusted (clean shutdown, or fully flushed): size from the
    /// file, max timestamp from the time index's last entry, indexes loaded on first use.
    /// </summary>
    public static LogSegment OpenTrusted(string directory, long baseOffset, LogConfig config)
    {
        var log = File.OpenHandle(FilePath(directory, baseOffset, LogSuffix), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var size = RandomAccess.GetLength(log);
        var segment = new LogSegment(directory, baseOffset, config, log, size, baseOffset);
        if (TimeIndex.TryReadLastEntry(segment.TimeIndexPath, baseOffset, out var ts, out var offset))
        {
            segment.MaxTimestamp = ts;
            segment.OffsetOfMaxTimestamp = offset;
            if (ts >= 0)
            {
                segment.RollingBaseTimestamp = ts;
                segment.RollingBaseIsRecordTime = true;
            }
        }

        return segment;
    }

    /// <summary>
    /// Opens a segment whose tail may be torn: scans every batch (CRC, offsets), truncates the
    /// file after the last good one and rebuilds both indexes. <paramref name="truncated"/>
    /// tells whether bytes were cut.
    /// </summary>
    public static LogSegment OpenRecovering(string directory, long baseOffset, LogConfig config, long nowMs, out bool truncated)
    {
        var log = File.OpenHandle(FilePath(directory, baseOffset, LogSuffix), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var segment = new LogSegment(directory, baseOffset, config, log, 0, baseOffset) { RollingBaseTimestamp = nowMs };
        truncated = segment.RebuildFromLog(verify: true, RandomAccess.GetLength(log));
        return segment;
    }

    /// <summary>
    /// Rescans the log file up to <paramref name="limit"/>, cuts it after the last good batch,
    /// and recreates the indexes. Returns true when bytes were cut.
    /// </summary>
    private bool RebuildFromLog(bool verify, long limit)
    {
        _offsetIndex?.Dispose();
        _timeIndex?.Dispose();
        var offsetIndex = OffsetIndex.Create(IndexPath, BaseOffset, _config.SegmentIndexBytes);
        var timeIndex = TimeIndex.Create(TimeIndexPath, BaseOffset, _config.SegmentIndexBytes);
        _offsetIndex = offsetIndex;
        _timeIndex = timeIndex;
        MaxTimestamp = -1;
        OffsetOfMaxTimestamp = BaseOffset;
        _bytesSinceIndexEntry = 0;
        var next = BaseOffset;
        var first = true;
        var valid = SegmentScanner.Scan(_log, 0, limit, verify, BaseOffset, (in RecordBatchHeader header, long position) =>
        {
            if (header.LastOffset - BaseOffset > int.MaxValue)
            {
                return false;
            }

            if (first)
            {
                // Batches without timestamps (-1) leave the creation time in place.
                if (header.MaxTimestamp >= 0)
                {
                    RollingBaseTimestamp = header.MaxTimestamp;
                    RollingBaseIsRecordTime = true;
                }

                first = false;
            }

            IndexBatch(header.BaseOffset, header.MaxTimestamp, position, header.TotalSize);
            next = header.NextOffset;
            return true;
        });
        var fileLength = RandomAccess.GetLength(_log);
        if (valid < fileLength)
        {
            RandomAccess.SetLength(_log, valid);
        }

        offsetIndex.Preallocate();
        timeIndex.Preallocate();
        Volatile.Write(ref _end, new SegmentEnd(valid, next));
        return valid < fileLength;
    }

    /// <summary>
    /// Makes an opened trusted segment the active one: loads its indexes (rebuilding them when
    /// missing or inconsistent), finds the next offset by scanning past the last index entry, and
    /// preallocates the indexes for appends.
    /// </summary>
    public void OpenForAppend(long nowMs)
    {
        if (!EnsureIndexes(out _))
        {
            RebuildFromLog(verify: true, Size);
            return;
        }

        _offsetIndex!.KeepInMemory();
        _timeIndex!.KeepInMemory();
        var start = _offsetIndex.Count == 0 ? 0 : _offsetIndex.LastValue;
        var next = _offsetIndex.Count == 0 ? BaseOffset : _offsetIndex.LastKey;
        long lastPosition = -1;
        var lastSize = 0;
        var first = start == 0;
        var end = SegmentScanner.Scan(_log, start, Size, verify: false, BaseOffset, (in RecordBatchHeader header, long position) =>
        {
            if (first)
            {
                // Batches without timestamps (-1) leave the creation time in place.
                if (header.MaxTimestamp >= 0)
                {
                    RollingBaseTimestamp = header.MaxTimestamp;
                    RollingBaseIsRecordTime = true;
                }

                first = false;
            }

            next = header.NextOffset;
            lastPosition = position;
            lastSize = header.TotalSize;
            return true;
        });
        if (end != Size)
        {
            // A clean shutdown left bytes that are not whole batches: do not trust this segment.
            RebuildFromLog(verify: true, Size);
            return;
        }

        if (RollingBaseTimestamp <= 0 && MaxTimestamp >= 0)
        {
            RollingBaseTimestamp = MaxTimestamp;
            RollingBaseIsRecordTime = true;
        }

        _bytesSinceIndexEntry = lastPosition < 0 ? 0 : lastPosition + lastSize - start;
        _offsetIndex.Preallocate();
        _timeIndex!.Preallocate();
        Volatile.Write(ref _end, new SegmentEnd(Size, next));
        if (RollingBaseTimestamp <= 0)
        {
            RollingBaseTimestamp = nowMs;
        }
    }

    /// <summary>Loads the indexes of a trusted segment if not yet loaded; false when they are unusable.</summary>
    private bool EnsureIndexes(out bool rebuilt)
    {
        rebuilt = false;
        if (Volatile.Read(ref _offsetIndex) is not null && _timeIndex is not null)
        {
            return true;
        }

        lock (_indexLoad)
        {
            if (_offsetIndex is not null && _timeIndex is not null)
            {
                return true;
            }

            var offsetIndex = OffsetIndex.Open(IndexPath, BaseOffset, _config.SegmentIndexBytes, out var offsetOk);
            var timeIndex = TimeIndex.Open(TimeIndexPath, BaseOffset, _config.SegmentIndexBytes, out var timeOk);
            var size = Size;
            if (!offsetOk || !timeOk || (offsetIndex.Count > 0 && offsetIndex.LastValue >= size))
            {
                offsetIndex.Dispose();
                timeIndex.Dispose();
                return false;
            }

            _timeIndex = timeIndex;
            Volatile.Write(ref _offsetIndex, offsetIndex);
            return true;
        }
    }

    /// <summary>Indexes for lookups on a closed segment, rebuilding them (headers only) if unusable.</summary>
    private OffsetIndex OffsetIndexForRead()
    {
        if (!EnsureIndexes(out _))
        {
            lock (_indexLoad)
            {
                if (_offsetIndex is null)
                {
                    RebuildFromLog(verify: false, Size);
                    _offsetIndex!.Trim();
                    _timeIndex!.Trim();
                    _offsetIndex.ReleaseMemory();
                    _timeIndex.ReleaseMemory();
                }
            }
        }

        return _offsetIndex!;
    }

    private TimeIndex TimeIndexForRead()
    {
        OffsetIndexForRead();
        return _timeIndex!;
    }

    public bool IndexesFull => (_offsetIndex?.IsFull ?? false) || (_timeIndex?.IsFull ?? false);

    /// <summary>
    /// Writes whole, already validated batches at the end. On an I/O failure the file is cut back
    /// so nothing of the append remains. Indexes are updated before the end is published.
    /// </summary>
    public void Append(ReadOnlySpan<byte> data, ReadOnlySpan<BatchPlacement> batches)
    {
        var end = _end;
        try
        {
            RandomAccess.Write(_log, data, end.Size);
        }
        catch (IOException)
        {
            RandomAccess.SetLength(_log, end.Size);
            throw;
        }

        if (end.Size == 0 && batches.Length > 0 && batches[0].MaxTimestamp >= 0)
        {
            RollingBaseTimestamp = batches[0].MaxTimestamp;
            RollingBaseIsRecordTime = true;
        }

        var next = end.NextOffset;
        foreach (var batch in batches)
        {
            IndexBatch(batch.BaseOffset, batch.MaxTimestamp, end.Size + batch.Position, batch.Size);
            next = batch.NextOffset;
        }

        Volatile.Write(ref _end, new SegmentEnd(end.Size + data.Length, next));
    }

    private void IndexBatch(long baseOffset, long maxTimestamp, long position, int size)
    {
        var indexed = false;
        // A full index (possible when a rebuilt segment was written under a larger
        // segment.index.bytes) stops indexing, not the data: lookups just scan further.
        if (position > 0 && _bytesSinceIndexEntry >= _config.IndexIntervalBytes && !_offsetIndex!.IsFull)
        {
            _offsetIndex!.Append(baseOffset, position);
            _bytesSinceIndexEntry = 0;
            indexed = true;
        }

        if (maxTimestamp > MaxTimestamp)
        {
            MaxTimestamp = maxTimestamp;
            OffsetOfMaxTimestamp = baseOffset;
        }

        if (indexed && !_timeIndex!.IsFull && MaxTimestamp > _timeIndex.LastKey)
        {
            _timeIndex.Append(MaxTimestamp, OffsetOfMaxTimestamp);
        }

        _bytesSinceIndexEntry += size;
    }

    /// <summary>
    /// File position of the first batch whose last offset is &gt;= <paramref name="offset"/>, or
    /// -1 if no batch below the published end holds it (the offset is in a later segment).
    /// </summary>
    public long FindPosition(long offset, SegmentEnd end) => FindPosition(offset, end, out _);

    /// <inheritdoc cref="FindPosition(long, SegmentEnd)"/>
    /// <param name="batchSize">Total size of the batch found.</param>
    public long FindPosition(long offset, SegmentEnd end, out int batchSize)
    {
        var start = OffsetIndexForRead().LookupPosition(offset);
        long found = -1;
        var size = 0;
        SegmentScanner.Scan(_log, start, end.Size, verify: false, BaseOffset, (in RecordBatchHeader header, long position) =>
        {
            if (header.LastOffset >= offset)
            {
                found = position;
                size = header.TotalSize;
                return false;
            }

            return true;
        });
        batchSize = size;
        return found;
    }

    /// <summary>
    /// Visits the headers of the batches from <paramref name="position"/> up to the published
    /// <paramref name="end"/>, reading headers only (no CRC check): for lookups such as
    /// rebuilding the leader epoch cache.
    /// </summary>
    public void ScanHeaders(long position, SegmentEnd end, SegmentScanner.Visitor visit) =>
        SegmentScanner.Scan(_log, position, end.Size, verify: false, BaseOffset, visit);

    /// <summary>
    /// The first batch holding a record with timestamp &gt;= <paramref name="timestamp"/>, found
    /// through the time index and a short scan; null when the segment has none.
    /// </summary>
    public (RecordBatchHeader Header, long Position)? FindBatchByTimestamp(long timestamp, SegmentEnd end)
    {
        var timeIndex = TimeIndexForRead();
        var startOffset = timeIndex.TryFloor(timestamp, out _, out var offset) ? offset : BaseOffset;
        var start = OffsetIndexForRead().LookupPosition(startOffset);
        (RecordBatchHeader, long)? result = null;
        SegmentScanner.Scan(_log, start, end.Size, verify: false, BaseOffset, (in RecordBatchHeader header, long position) =>
        {
            if (header.MaxTimestamp >= timestamp)
            {
                result = (header, position);
                return false;
            }

            return true;
        });
        return result;
    }

    /// <summary>Reads bytes below the published end.</summary>
    public int Read(Span<byte> destination, long position) => SegmentScanner.Fill(_log, destination, position);

    /// <summary>
    /// Cuts the segment before the first batch whose last offset is &gt;= <paramref name="offset"/>
    /// and rebuilds its indexes. Returns the new next offset.
    /// </summary>
    public long TruncateTo(long offset)
    {
        var position = FindPosition(offset, End);
        if (position < 0)
        {
            return End.NextOffset;
        }

        RandomAccess.SetLength(_log, position);
        lock (_indexLoad)
        {
            RebuildFromLog(verify: false, position);
        }

        return End.NextOffset;
    }

    /// <summary>
    /// Seals the segment when a newer one takes over: the final time index entry records the max
    /// timestamp, indexes are trimmed, and everything is flushed.
    /// </summary>
    public void Seal(bool flush = true)
    {
        if (_timeIndex is not null && MaxTimestamp > _timeIndex.LastKey && MaxTimestamp >= 0)
        {
            _timeIndex.Append(MaxTimestamp, OffsetOfMaxTimestamp);
        }

        _offsetIndex?.Trim();
        _timeIndex?.Trim();
        if (flush)
        {
            Flush();
        }

        // Sealed: lookups read the index files; only the active segment's entries stay in memory.
        _offsetIndex?.ReleaseMemory();
        _timeIndex?.ReleaseMemory();
    }

    public void Flush()
    {
        RandomAccess.FlushToDisk(_log);
        _offsetIndex?.Flush();
        _timeIndex?.Flush();
    }

    public void Dispose()
    {
        _log.Dispose();
        _offsetIndex?.Dispose();
        _timeIndex?.Dispose();
    }

    /// <summary>Closes the segment and removes its files.</summary>
    public void Delete()
    {
        Dispose();
        File.Delete(LogPath);
        File.Delete(IndexPath);
        File.Delete(TimeIndexPath);
    }

    public override string ToString() => $"Segment({BaseOffset}, size={Size}, next={End.NextOffset})";
}

/// <summary>A segment's published end: bytes below <see cref="Size"/> hold offsets below <see cref="NextOffset"/>.</summary>
internal sealed record SegmentEnd(long Size, long NextOffset);

/// <summary>Where a validated batch sits in an append buffer.</summary>
internal readonly record struct BatchPlacement(long Position, int Size, long BaseOffset, long NextOffset, long MaxTimestamp);
