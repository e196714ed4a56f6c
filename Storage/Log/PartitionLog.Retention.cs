namespace Orleans.Kafka.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Deletes whole segments that <c>retention.ms</c>, <c>retention.bytes</c> or the log start
    /// offset have passed, oldest first, and only segments that end at or below
    /// <paramref name="highWatermark"/>. When every segment qualifies the active one is rolled
    /// first, so the log stays open at its end. Returns how many segments were deleted.
    /// </summary>
    public int ApplyRetention(long highWatermark = long.MaxValue)
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            var nowMs = NowMs();
            var deleted = DeleteOldSegments(highWatermark, (segment, _) => NextBase(_state, segment) <= _state.LogStartOffset);
            if (_config.RetentionMs >= 0)
            {
                deleted += DeleteOldSegments(highWatermark, (segment, _) => segment.MaxTimestamp >= 0 && nowMs - segment.MaxTimestamp > _config.RetentionMs);
            }

            if (_config.RetentionBytes >= 0)
            {
                var excess = _state.Segments.Sum(s => s.Size) - _config.RetentionBytes;
                deleted += DeleteOldSegments(highWatermark, (segment, _) =>
                {
                    if (excess - segment.Size < 0)
                    {
                        return false;
                    }

                    excess -= segment.Size;
                    return true;
                });
            }

            return deleted;
        }
    }

    /// <summary>
    /// DeleteRecords: moves the log start offset up to <paramref name="offset"/> (never down) and
    /// deletes segments wholly below it. Returns the new log start offset.
    /// </summary>
    public long DeleteRecordsBefore(long offset)
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            var state = _state;
            var logEnd = state.Active.End.NextOffset;
            if (offset > logEnd || offset < 0)
            {
                throw new LogException(LogErrorKind.OffsetOutOfRange, $"Cannot delete records before {offset}: the log ends at {logEnd}.");
            }

            if (offset > state.LogStartOffset)
            {
                LogCheckpoints.WriteOffset(Directory, LogCheckpoints.LogStartOffsetFile, offset);
                Publish(state with { LogStartOffset = offset });
                DeleteOldSegments(long.MaxValue, (segment, _) => NextBase(_state, segment) <= _state.LogStartOffset, rollIfAll: false);
            }

            return _state.LogStartOffset;
        }
    }

    /// <summary>
    /// Follower truncation: removes every batch whose last offset is &gt;= <paramref name="offset"/>,
    /// so the log end becomes the end of the last batch wholly below it. Truncating below the log
    /// start empties the log and restarts it at <paramref name="offset"/>.
    /// </summary>
    public void TruncateTo(long offset)
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            var state = _state;
            if (offset >= state.Active.End.NextOffset)
            {
                return;
            }

            if (offset <= state.LogStartOffset || offset <= state.Segments[0].BaseOffset)
            {
                TruncateFullyLocked(Math.Max(offset, 0));
                return;
            }

            _structure.EnterWriteLock();
            try
            {
                var keep = state.SegmentFor(offset);
                // A segment that would be left empty goes too, unless it is the first.
                var removed = state.Segments[(keep + 1)..];
                var kept = state.Segments[..(keep + 1)];
                var last = kept[^1];
                last.TruncateTo(offset);
                while (kept.Length > 1 && last.Size == 0)
                {
                    removed = [last, .. removed];
                    kept = kept[..^1];
                    last = kept[^1];
                }

                last.OpenForAppend(NowMs());
                Publish(state with { Segments = kept });
                foreach (var segment in removed)
                {
                    segment.Delete();
                }

                LowerRecoveryPoint(last.End.NextOffset);
            }
            finally
            {
                _structure.ExitWriteLock();
            }

            if (LogEndOffset < _state.LogStartOffset)
            {
                // The batch holding the cut also held the log start: nothing readable is left.
                TruncateFullyLocked(_state.LogStartOffset);
            }
        }
    }

    /// <summary>Deletes every segment and restarts the log empty at <paramref name="offset"/> (a follower far behind the leader's start).</summary>
    public void TruncateFullyAndStartAt(long offset)
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            TruncateFullyLocked(offset);
        }
    }

    private void TruncateFullyLocked(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        _structure.EnterWriteLock();
        try
        {
            var state = _state;
            foreach (var segment in state.Segments)
            {
                segment.Delete();
            }

            var fresh = LogSegment.Create(Directory, offset, _config, NowMs());
            LogCheckpoints.WriteOffset(Directory, LogCheckpoints.LogStartOffsetFile, offset);
            LowerRecoveryPoint(offset);
            lock (_checkpointLock)
            {
                // Everything below the new start is gone, so nothing below it needs a scan.
                Volatile.Write(ref _recoveryPoint, offset);
                LogCheckpoints.WriteOffset(Directory, LogCheckpoints.RecoveryPointFile, offset);
            }
            Publish(new LogState([fresh], offset));
        }
        finally
        {
            _structure.ExitWriteLock();
        }
    }

    /// <summary>
    /// Deletes the oldest segments while <paramref name="shouldDelete"/> holds for them (and they
    /// end at or below the high watermark), advancing the log start offset past them.
    /// </summary>
    private int DeleteOldSegments(long highWatermark, Func<LogSegment, int, bool> shouldDelete, bool rollIfAll = true)
    {
        var state = _state;
        var count = 0;
        while (count < state.Segments.Length)
        {
            var segment = state.Segments[count];
            var isActive = count == state.Segments.Length - 1;
            if (isActive && segment.Size == 0)
            {
                break;
            }

            if (NextBase(state, segment) > highWatermark || !shouldDelete(segment, count))
            {
                break;
            }

            count++;
        }

        if (count == 0)
        {
            return 0;
        }

        if (count == state.Segments.Length)
        {
            if (!rollIfAll)
            {
                count--;
                if (count == 0)
                {
                    return 0;
                }
            }
            else
            {
                Roll(state.Active.End.NextOffset, NowMs());
                state = _state;
            }
        }

        var doomed = state.Segments[..count];
        var remaining = state.Segments[count..];
        var newStart = Math.Max(state.LogStartOffset, remaining[0].BaseOffset);
        if (newStart != state.LogStartOffset)
        {
            LogCheckpoints.WriteOffset(Directory, LogCheckpoints.LogStartOffsetFile, newStart);
        }

        _structure.EnterWriteLock();
        try
        {
            Publish(new LogState(remaining, newStart));
            foreach (var segment in doomed)
            {
                segment.Delete();
            }
        }
        finally
        {
            _structure.ExitWriteLock();
        }

        return count;
    }
}
