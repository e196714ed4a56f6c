using System.Buffers;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Appends a produce request's record batches as the leader: validates every batch (framing,
    /// CRC, size, record rules, timestamps), assigns offsets from the log end by rewriting each
    /// header's baseOffset and partitionLeaderEpoch (and, under LogAppendTime, maxTimestamp and the
    /// CRC), then writes them in one piece. A bad batch fails the whole call with a
    /// <see cref="LogException"/> and nothing is written.
    /// </summary>
    /// <param name="batches">One or more whole batches (a produce request's records).</param>
    /// <param name="leaderEpoch">Written into each batch's partitionLeaderEpoch.</param>
    /// <param name="origin">Who appends: only the transaction coordinator may write control batches.</param>
    public AppendResult Append(ReadOnlyMemory<byte> batches, int leaderEpoch, AppendOrigin origin = AppendOrigin.Client)
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            return AppendLocked(batches.Span, leaderEpoch, assignOffsets: true, origin);
        }
    }

    /// <summary>
    /// Appends batches replicated from the leader as they are (offsets, epochs and timestamps
    /// kept). Checks framing, CRC and that offsets follow the log end.
    /// </summary>
    public AppendResult AppendAsFollower(ReadOnlyMemory<byte> batches)
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            return AppendLocked(batches.Span, leaderEpoch: -1, assignOffsets: false, AppendOrigin.Replication);
        }
    }

    private AppendResult AppendLocked(ReadOnlySpan<byte> input, int leaderEpoch, bool assignOffsets, AppendOrigin origin)
    {
        if (input.IsEmpty)
        {
            throw new LogException(LogErrorKind.InvalidRecord, "The append holds no record batch.");
        }

        var nowMs = NowMs();
        var buffer = ArrayPool<byte>.Shared.Rent(input.Length);
        try
        {
            var data = buffer.AsSpan(0, input.Length);
            input.CopyTo(data);
            var placements = Validate(data, assignOffsets, origin, nowMs, out var recordCount);
            // After the per-batch checks, as Kafka orders them: an oversized batch is MESSAGE_TOO_LARGE.
            if (input.Length > _config.SegmentBytes)
            {
                throw new LogException(LogErrorKind.RecordListTooLarge, $"The append of {input.Length} bytes exceeds segment.bytes={_config.SegmentBytes}.");
            }

            if (!assignOffsets)
            {
                CheckFollowerOffsets(placements);
            }

            var logAppendTime = -1L;
            if (assignOffsets)
            {
                var timestampType = _config.MessageTimestampType;
                for (var i = 0; i < placements.Length; i++)
                {
                    var batch = data.Slice((int)placements[i].Position, placements[i].Size);
                    RecordBatch.SetBaseOffset(batch, placements[i].BaseOffset);
                    RecordBatch.SetPartitionLeaderEpoch(batch, leaderEpoch);
                    if (timestampType == TimestampType.LogAppendTime)
                    {
                        RecordBatch.SetLogAppendTime(batch, nowMs);
                        placements[i] = placements[i] with { MaxTimestamp = nowMs };
                        logAppendTime = nowMs;
                    }
                }
            }

            var first = placements[0];
            var last = placements[^1];
            MaybeRoll(first.BaseOffset, last.NextOffset - 1, data.Length, MaxTimestampOf(placements), nowMs);
            _state.Active.Append(data, placements);

            _unflushedMessages += recordCount;
            if (_unflushedMessages >= _config.FlushMessages
                || (_config.FlushMs != long.MaxValue && nowMs - _lastFlushMs >= _config.FlushMs))
            {
                FlushLocked();
            }

            var maxTimestamp = placements.Max(p => p.MaxTimestamp);
            return new AppendResult(first.BaseOffset, last.NextOffset - 1, logAppendTime, _state.LogStartOffset, placements.Length, recordCount, maxTimestamp);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Checks every batch in <paramref name="data"/> and plans where it goes. Offsets planned are
    /// the ones to assign (leader) or the batch's own (follower).
    /// </summary>
    private BatchPlacement[] Validate(ReadOnlySpan<byte> data, bool assignOffsets, AppendOrigin origin, long nowMs, out long recordCount)
    {
        var placements = new List<BatchPlacement>();
        ArrayBufferWriter<byte>? scratch = null;
        var next = LogEndOffset;
        recordCount = 0;
        var position = 0;
        while (position < data.Length)
        {
            var rest = data[position..];
            if (!RecordBatch.TryPeekSize(rest, out var size) || size < RecordBatchHeader.Size)
            {
                throw new LogException(LogErrorKind.CorruptMessage, $"Record batch at byte {position} is truncated or has a bad length.");
            }

            if (size > _config.MaxMessageBytes)
            {
                throw new LogException(LogErrorKind.MessageTooLarge, $"Record batch of {size} bytes exceeds max.message.bytes={_config.MaxMessageBytes}.");
            }

            var error = RecordBatch.Validate(rest, out var header, out var reason);
            // Without a record walk the header's base and max timestamps stand in for the records'.
            var minTimestamp = header.BaseTimestamp;
            var maxTimestamp = header.MaxTimestamp;
            if (error == BatchError.None && assignOffsets)
            {
                if (header.RecordCount == 0 || header.LastOffsetDelta != header.RecordCount - 1)
                {
                    error = BatchError.InvalidRecord;
                    reason = $"Record batch declares {header.RecordCount} records and last offset delta {header.LastOffsetDelta}.";
                }
                else if (header.Compression == Compression.CompressionType.None || _config.ValidateCompressedRecords)
                {
                    // Header and CRC were checked just above; only the records remain.
                    error = RecordBatch.ValidateRecordsOnly(rest[..size], header, scratch ??= new ArrayBufferWriter<byte>(), out reason, out minTimestamp, out maxTimestamp);
                }

                if (error == BatchError.None && header.IsControl && origin == AppendOrigin.Client)
                {
                    // Only a transaction coordinator writes markers (Kafka rejects them from producers).
                    error = BatchError.InvalidRecord;
                    reason = "Control batches may not be produced by clients.";
                }
            }

            if (error != BatchError.None)
            {
                var kind = error == BatchError.Corrupt ? LogErrorKind.CorruptMessage : LogErrorKind.InvalidRecord;
                throw new LogException(kind, $"Record batch at byte {position}: {reason}");
            }

            if (assignOffsets && _config.MessageTimestampType == TimestampType.CreateTime)
            {
                CheckTimestamp(Math.Min(minTimestamp, header.BaseTimestamp), nowMs);
                CheckTimestamp(Math.Max(maxTimestamp, header.MaxTimestamp), nowMs);
            }

            var baseOffset = assignOffsets ? next : header.BaseOffset;
            var nextOffset = baseOffset + header.LastOffsetDelta + 1;
            placements.Add(new BatchPlacement(position, size, baseOffset, nextOffset, header.MaxTimestamp));
            next = nextOffset;
            recordCount += header.RecordCount;
            position += size;
        }

        return [.. placements];
    }

    private void CheckTimestamp(long timestamp, long nowMs)
    {
        var tooOld = _config.MessageTimestampBeforeMaxMs != long.MaxValue && timestamp < nowMs - _config.MessageTimestampBeforeMaxMs;
        var tooNew = _config.MessageTimestampAfterMaxMs != long.MaxValue && timestamp > nowMs + _config.MessageTimestampAfterMaxMs;
        if (tooOld || tooNew)
        {
            throw new LogException(LogErrorKind.InvalidTimestamp, $"Timestamp {timestamp} is outside the window allowed around broker time {nowMs}.");
        }
    }

    private void CheckFollowerOffsets(BatchPlacement[] placements)
    {
        var expected = LogEndOffset;
        foreach (var p in placements)
        {
            if (p.BaseOffset < expected)
            {
                throw new LogException(LogErrorKind.NonMonotonicOffset, $"Replicated batch at offset {p.BaseOffset} is below the expected {expected}.");
            }

            expected = p.NextOffset;
        }
    }

    /// <summary>
    /// Rolls to a new segment when the append would overflow <c>segment.bytes</c>, the active
    /// segment is older than <c>segment.ms</c>, an index is full, or offsets would not fit the
    /// index's 32-bit relative form.
    /// </summary>
    private void MaybeRoll(long firstOffset, long lastOffset, int size, long incomingMaxTimestamp, long nowMs)
    {
        var active = _state.Active;
        if (active.Size == 0)
        {
            if (firstOffset != active.BaseOffset)
            {
                // A follower's first batch may start past the end (the leader's log was compacted
                // or truncated at its start): the empty segment moves to where the data begins.
                var state = _state;
                var segment = LogSegment.Create(Directory, firstOffset, _config, nowMs);
                _structure.EnterWriteLock();
                try
                {
                    Publish(state with { Segments = [.. state.Segments[..^1], segment] });
                    active.Delete();
                }
                finally
                {
                    _structure.ExitWriteLock();
                }
            }

            return;
        }

        if (active.Size + size > _config.SegmentBytes
            || TimeWaitedForRoll(active, incomingMaxTimestamp, nowMs) > _config.SegmentMs
            || active.IndexesFull
            || lastOffset - active.BaseOffset > int.MaxValue)
        {
            Roll(Math.Max(firstOffset, active.End.NextOffset), nowMs);
        }
    }

    /// <summary>Kafka's timeWaitedForRoll: record time when the segment's base came from a record, else broker time.</summary>
    private static long TimeWaitedForRoll(LogSegment active, long incomingMaxTimestamp, long nowMs) =>
        active.RollingBaseIsRecordTime && incomingMaxTimestamp >= 0
            ? incomingMaxTimestamp - active.RollingBaseTimestamp
            : nowMs - active.RollingBaseTimestamp;

    private static long MaxTimestampOf(BatchPlacement[] placements)
    {
        var max = -1L;
        foreach (var p in placements)
        {
            max = Math.Max(max, p.MaxTimestamp);
        }

        return max;
    }

    private void Roll(long baseOffset, long nowMs)
    {
        var state = _state;
        var previous = state.Active;
        previous.Seal(flush: false);
        var segment = LogSegment.Create(Directory, baseOffset, _config, nowMs);
        Publish(state with { Segments = [.. state.Segments, segment] });

        // Kafka fsyncs the sealed segment in the background, then moves the recovery point to
        // its end: the writer does not wait for a (possibly large) fsync.
        var flushedTo = previous.End.NextOffset;
        var truncations = Volatile.Read(ref _truncations);
        var prior = _backgroundFlush;
        _backgroundFlush = prior.ContinueWith(_ => FlushSealed(previous, flushedTo, truncations), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        SegmentRolled?.Invoke(baseOffset);
    }

    private void FlushSealed(LogSegment segment, long flushedTo, int truncations)
    {
        try
        {
            segment.Flush();
            AdvanceRecoveryPoint(flushedTo, truncations);
        }
        catch (ObjectDisposedException)
        {
            // Deleted (retention, truncation) or the log was closed, which flushes on its own.
        }
        catch (IOException)
        {
            // Not durable (or not recorded): the recovery point stays, so a crash rescans this segment.
        }
    }

    /// <summary>Starts a new segment now (e.g. before compaction, or by an operator).</summary>
    public void Roll()
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            if (_state.Active.Size > 0)
            {
                Roll(_state.Active.End.NextOffset, NowMs());
            }
        }
    }
}

/// <summary>Who is appending, as Kafka's AppendOrigin: it decides which batches are allowed.</summary>
public enum AppendOrigin
{
    /// <summary>A producer's batches: no control batches.</summary>
    Client,

    /// <summary>The transaction coordinator writing commit/abort markers.</summary>
    Coordinator,

    /// <summary>A follower copying the leader's batches as they are.</summary>
    Replication,
}
