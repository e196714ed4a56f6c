using System.Buffers;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Reads whole stored batches starting with the one that holds <paramref name="offset"/>, up
    /// to <paramref name="maxBytes"/> (the first batch is returned whole even if larger, Kafka's
    /// rule) and only batches that end below <paramref name="maxOffset"/> (e.g. the high
    /// watermark). No record is decoded. Reading exactly at the end returns an empty result.
    /// </summary>
    /// <exception cref="LogException">OffsetOutOfRange when the offset is below the log start or past the end.</exception>
    public LogReadResult Read(long offset, int maxBytes, long maxOffset = long.MaxValue)
    {
        _structure.EnterReadLock();
        try
        {
            ThrowIfClosed();
            var state = Volatile.Read(ref _state);
            var logEnd = state.Active.End.NextOffset;
            if (offset < state.LogStartOffset || offset > logEnd)
            {
                throw new LogException(LogErrorKind.OffsetOutOfRange, $"Offset {offset} is outside the log [{state.LogStartOffset}, {logEnd}].");
            }

            var limit = Math.Min(maxOffset, logEnd);
            var reader = new BatchRangeReader(Math.Max(maxBytes, 0), limit);
            if (offset < limit)
            {
                var target = offset;
                for (var i = state.SegmentFor(offset); i < state.Segments.Length && !reader.Done; i++)
                {
                    var segment = state.Segments[i];
                    var end = segment.End;
                    var position = segment.FindPosition(target, end, out var firstSize);
                    if (position < 0)
                    {
                        continue;
                    }

                    reader.ReadFrom(segment, position, firstSize, end.Size);
                    target = reader.NextOffset;
                }
            }

            return reader.ToResult(offset, state.LogStartOffset, logEnd);
        }
        finally
        {
            _structure.ExitReadLock();
        }
    }

    /// <summary>
    /// ListOffsets by timestamp: the first offset whose record timestamp is &gt;= <paramref name="timestamp"/>,
    /// with that record's timestamp; null when every record is older.
    /// </summary>
    public TimestampOffset? OffsetForTimestamp(long timestamp)
    {
        _structure.EnterReadLock();
        try
        {
            ThrowIfClosed();
            var state = Volatile.Read(ref _state);
            var scratch = new ArrayBufferWriter<byte>();
            foreach (var segment in state.Segments)
            {
                if (segment.MaxTimestamp < timestamp)
                {
                    continue;
                }

                var end = segment.End;
                if (segment.FindBatchByTimestamp(timestamp, end) is not { } found)
                {
                    continue;
                }

                var (header, position) = found;
                var result = FirstRecordAtOrAfter(segment, header, position, timestamp, scratch);
                return result with { Offset = Math.Max(result.Offset, state.LogStartOffset) };
            }

            return null;
        }
        finally
        {
            _structure.ExitReadLock();
        }
    }

    /// <summary>
    /// ListOffsets' MAX_TIMESTAMP (-3): the first record carrying the largest timestamp in the
    /// log, with that timestamp; null when the log is empty.
    /// </summary>
    public TimestampOffset? MaxTimestampOffset()
    {
        _structure.EnterReadLock();
        try
        {
            ThrowIfClosed();
            var state = Volatile.Read(ref _state);
            LogSegment? best = null;
            foreach (var segment in state.Segments)
            {
                if (segment.MaxTimestamp >= 0 && (best is null || segment.MaxTimestamp > best.MaxTimestamp))
                {
                    best = segment;
                }
            }

            if (best is null)
            {
                return null;
            }

            var end = best.End;
            var position = best.FindPosition(best.OffsetOfMaxTimestamp, end, out _);
            Span<byte> head = stackalloc byte[RecordBatchHeader.Size];
            if (position < 0 || best.Read(head, position) < RecordBatchHeader.Size || !RecordBatchHeader.TryRead(head, out var header))
            {
                return null;
            }

            var result = FirstRecordAtOrAfter(best, header, position, best.MaxTimestamp, new ArrayBufferWriter<byte>());
            return result with { Offset = Math.Max(result.Offset, state.LogStartOffset) };
        }
        finally
        {
            _structure.ExitReadLock();
        }
    }

    private static TimestampOffset FirstRecordAtOrAfter(LogSegment segment, RecordBatchHeader header, long position, long timestamp, ArrayBufferWriter<byte> scratch)
    {
        if (header.TimestampType == TimestampType.LogAppendTime)
        {
            return new TimestampOffset(header.MaxTimestamp, header.BaseOffset);
        }

        var bytes = ArrayPool<byte>.Shared.Rent(header.TotalSize);
        try
        {
            var batch = bytes.AsSpan(0, header.TotalSize);
            segment.Read(batch, position);
            foreach (var record in RecordBatch.GetRecords(batch, header, scratch))
            {
                var ts = header.BaseTimestamp + record.TimestampDelta;
                if (ts >= timestamp)
                {
                    return new TimestampOffset(ts, header.BaseOffset + record.OffsetDelta);
                }
            }

            // The header promised a record this new; fall back to the batch as a whole.
            return new TimestampOffset(header.MaxTimestamp, header.BaseOffset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Collects whole batches from one or more segments into one pooled buffer.</summary>
    private sealed class BatchRangeReader(int maxBytes, long limitOffset)
    {
        private byte[]? _buffer;
        private int _length;

        public int BatchCount { get; private set; }

        public long FirstOffset { get; private set; } = -1;

        public long NextOffset { get; private set; } = -1;

        public bool Done { get; private set; }

        public void ReadFrom(LogSegment segment, long position, int firstSize, long segmentEnd)
        {
            var available = segmentEnd - position;
            if (available < RecordBatchHeader.Size)
            {
                return;
            }

            int toRead;
            if (_length == 0)
            {
                // Kafka's rule: the first batch goes out whole even when it is larger than maxBytes.
                toRead = (int)Math.Min(available, Math.Max(firstSize, maxBytes));
            }
            else
            {
                toRead = (int)Math.Min(available, maxBytes - _length);
                if (toRead < RecordBatchHeader.Size)
                {
                    Done = true;
                    return;
                }
            }

            Reserve(_length + toRead);
            var chunk = _buffer.AsSpan(_length, toRead);
            var read = segment.Read(chunk, position);
            chunk = chunk[..read];
            var accepted = 0;
            var headers = RecordBatch.EnumerateHeaders(chunk);
            while (headers.MoveNext())
            {
                var header = headers.Current;
                var fitsBytes = _length + accepted + header.TotalSize <= maxBytes || (BatchCount == 0 && accepted == 0);
                if (header.LastOffset >= limitOffset || !fitsBytes)
                {
                    Done = true;
                    break;
                }

                if (FirstOffset < 0)
                {
                    FirstOffset = header.BaseOffset;
                }

                accepted += header.TotalSize;
                NextOffset = header.NextOffset;
                BatchCount++;
            }

            if (headers.Consumed < chunk.Length)
            {
                // A batch cut by the byte limit: the rest no longer fits.
                Done = true;
            }

            _length += accepted;
            if (_length >= maxBytes)
            {
                Done = true;
            }
        }

        private void Reserve(int size)
        {
            if (_buffer is not null && _buffer.Length >= size)
            {
                return;
            }

            var larger = ArrayPool<byte>.Shared.Rent(size);
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = larger;
        }

        public LogReadResult ToResult(long requestedOffset, long logStart, long logEnd)
        {
            var buffer = _buffer;
            if (BatchCount == 0 && buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
            }

            return new LogReadResult(buffer, _length, BatchCount, FirstOffset, BatchCount == 0 ? requestedOffset : NextOffset, logStart, logEnd);
        }
    }
}
