using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Log;

/// <summary>
/// One partition's log: a directory of segments holding record batches exactly as they travel
/// on the wire. One writer (the partition grain) appends, truncates and applies retention;
/// reads run concurrently. Appends publish each segment's end after bytes and index entries
/// are written, so a reader never sees a partial batch. Removing segments (retention,
/// truncation) takes a lock that reads share, so no read is mid-way through a file being deleted.
/// </summary>
public sealed partial class PartitionLog : IDisposable
{
    private readonly LogConfig _config;
    private readonly TimeProvider _time;
    private readonly Lock _writeLock = new();
    private readonly ReaderWriterLockSlim _structure = new(LockRecursionPolicy.NoRecursion);
    private LogState _state;
    private readonly Lock _checkpointLock = new();
    private long _recoveryPoint;
    private int _truncations;
    private Task _backgroundFlush = Task.CompletedTask;
    private long _unflushedMessages;
    private long _lastFlushMs;
    private bool _closed;

    private readonly FileStream _directoryLock;

    private PartitionLog(string directory, LogConfig config, TimeProvider time, LogState state, long recoveryPoint, bool recoveredCleanly, FileStream directoryLock)
    {
        Directory = directory;
        _directoryLock = directoryLock;
        _config = config;
        _time = time;
        _state = state;
        _recoveryPoint = recoveryPoint;
        _lastFlushMs = NowMs();
        OpenedAfterCleanShutdown = recoveredCleanly;
    }

    /// <summary>Raised on the writer's thread after a new active segment is created, with its base offset (hook for producer-state snapshots).</summary>
    public event Action<long>? SegmentRolled;

    /// <summary>Raised on the writer's thread just before a clean close flushes and writes the marker.</summary>
    public event Action? Closing;

    public string Directory { get; }

    public LogConfig Config => _config;

    /// <summary>True when the last open skipped recovery thanks to the clean-shutdown marker.</summary>
    public bool OpenedAfterCleanShutdown { get; }

    public long LogStartOffset => Volatile.Read(ref _state).LogStartOffset;

    public long LogEndOffset => Volatile.Read(ref _state).Active.End.NextOffset;

    /// <summary>Offsets below this are flushed to disk; recovery after a crash starts at its segment.</summary>
    public long RecoveryPoint => Volatile.Read(ref _recoveryPoint);

    /// <summary>Total bytes in all segments.</summary>
    public long Size => Volatile.Read(ref _state).Segments.Sum(s => s.Size);

    /// <summary>The segments, oldest first; the last is active. For compaction and metrics.</summary>
    public IReadOnlyList<LogSegmentInfo> Segments
    {
        get
        {
            var segments = Volatile.Read(ref _state).Segments;
            var result = new LogSegmentInfo[segments.Length];
            for (var i = 0; i < segments.Length; i++)
            {
                var s = segments[i];
                result[i] = new LogSegmentInfo(s.BaseOffset, s.Size, s.MaxTimestamp, s.LogPath, i == segments.Length - 1);
            }

            return result;
        }
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, this);

    /// <summary>Forces data below the log end to disk and advances the recovery point.</summary>
    public void Flush()
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            FlushLocked();
        }
    }

    /// <summary>Flushes when <c>flush.ms</c> has passed since the last flush; for a periodic timer.</summary>
    public bool FlushIfDue()
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            if (_config.FlushMs != long.MaxValue && NowMs() - _lastFlushMs >= _config.FlushMs && _unflushedMessages > 0)
            {
                FlushLocked();
                return true;
            }

            return false;
        }
    }

    private void FlushLocked()
    {
        var state = _state;
        var leo = state.Active.End.NextOffset;
        foreach (var segment in state.Segments)
        {
            // Segments wholly below the recovery point were flushed when they were sealed.
            if (segment == state.Active || segment.BaseOffset >= _recoveryPoint || NextBase(state, segment) > _recoveryPoint)
            {
                segment.Flush();
            }
        }

        _unflushedMessages = 0;
        _lastFlushMs = NowMs();
        AdvanceRecoveryPoint(leo, Volatile.Read(ref _truncations));
    }

    /// <summary>
    /// Raises the recovery point (never lowers it) and persists it, unless a truncation happened
    /// since the flush that justifies it began (its offsets may now hold other, unflushed data).
    /// </summary>
    private void AdvanceRecoveryPoint(long offset, int truncationsAtFlushStart)
    {
        lock (_checkpointLock)
        {
            if (offset <= _recoveryPoint || truncationsAtFlushStart != Volatile.Read(ref _truncations) || _closed)
            {
                return;
            }

            Volatile.Write(ref _recoveryPoint, offset);
            LogCheckpoints.WriteOffset(Directory, LogCheckpoints.RecoveryPointFile, offset);
        }
    }

    /// <summary>Sets the recovery point down after a truncation; pending background flushes no longer count.</summary>
    private void LowerRecoveryPoint(long offset)
    {
        lock (_checkpointLock)
        {
            Interlocked.Increment(ref _truncations);
            if (_recoveryPoint > offset)
            {
                Volatile.Write(ref _recoveryPoint, offset);
                LogCheckpoints.WriteOffset(Directory, LogCheckpoints.RecoveryPointFile, offset);
            }
        }
    }

    /// <summary>
    /// Completes when the fsyncs of sealed segments started by rolls so far have run (tests and
    /// callers that need the recovery point settled).
    /// </summary>
    internal Task BackgroundFlush => Volatile.Read(ref _backgroundFlush);

    private static long NextBase(LogState state, LogSegment segment)
    {
        var i = Array.IndexOf(state.Segments, segment);
        return i + 1 < state.Segments.Length ? state.Segments[i + 1].BaseOffset : state.Active.End.NextOffset;
    }

    /// <summary>
    /// Flushes everything, trims the active segment's indexes and writes the clean-shutdown
    /// marker so the next open skips recovery.
    /// </summary>
    public void Close()
    {
        lock (_writeLock)
        {
            if (_closed)
            {
                return;
            }

            Closing?.Invoke();
            var state = _state;
            // Covers sealed segments whose background flush has not run yet: they lie above the recovery point.
            FlushLocked();
            state.Active.Seal();
            lock (_checkpointLock)
            {
                // No background flush may write the checkpoint once the marker says all is settled.
                _closed = true;
            }

            LogCheckpoints.WriteCleanShutdownMarker(Directory);
            _structure.EnterWriteLock();
            try
            {
                foreach (var segment in state.Segments)
                {
                    segment.Dispose();
                }
            }
            finally
            {
                _structure.ExitWriteLock();
            }

            _directoryLock.Dispose();
        }
    }

    /// <summary>
    /// Takes the partition directory for this process: a second open (another activation, another
    /// process) would corrupt the files, so it fails instead.
    /// </summary>
    private static FileStream LockDirectory(string directory)
    {
        try
        {
            return new FileStream(Path.Combine(directory, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"The log directory {directory} is already open.", ex);
        }
    }

    /// <summary>Same as <see cref="Close"/>.</summary>
    public void Dispose()
    {
        Close();
        _structure.Dispose();
    }

    /// <summary>Closes the files without flushing or writing the marker, as a crash would leave them (tests).</summary>
    internal void Abandon()
    {
        lock (_writeLock)
        {
            lock (_checkpointLock)
            {
                // After this no background flush writes the checkpoint (a dead process would not).
                _closed = true;
            }

            foreach (var segment in _state.Segments)
            {
                segment.Dispose();
            }

            _directoryLock.Dispose();
        }
    }

    private void Publish(LogState state) => Volatile.Write(ref _state, state);

    /// <summary>The segments and log start offset, swapped as a whole.</summary>
    private sealed record LogState(LogSegment[] Segments, long LogStartOffset)
    {
        public LogSegment Active => Segments[^1];

        /// <summary>Index of the segment whose range holds <paramref name="offset"/> (the last with base &lt;= it).</summary>
        public int SegmentFor(long offset)
        {
            int lo = 0, hi = Segments.Length - 1, found = 0;
            while (lo <= hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Segments[mid].BaseOffset <= offset)
                {
                    found = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return found;
        }
    }
}

/// <summary>A segment as seen from outside the log.</summary>
public sealed record LogSegmentInfo(long BaseOffset, long Size, long MaxTimestamp, string LogPath, bool IsActive);

/// <summary>ListOffsets' answer: the first offset whose record timestamp is &gt;= the target, and that timestamp.</summary>
public readonly record struct TimestampOffset(long Timestamp, long Offset);
