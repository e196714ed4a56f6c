using System.Buffers;
using System.Buffers.Binary;
using Orleans.Kafka.Storage.Compression;

namespace Orleans.Kafka.Storage.Records;

/// <summary>
/// Operations on the bytes of magic-2 record batches: framing, validation, in-place header
/// rewrites and access to the records. Nothing here copies record bytes unless it must
/// decompress.
/// </summary>
public static class RecordBatch
{
    /// <summary>
    /// Smallest a batch can be: the header with no records (compaction may leave such batches;
    /// producers never send them).
    /// </summary>
    public const int MinSize = RecordBatchHeader.Size;

    /// <summary>
    /// Reads the size of the batch that starts <paramref name="source"/> from its first 12 bytes.
    /// Returns false when fewer than 12 bytes are present; <paramref name="totalSize"/> is then 0.
    /// The size is not checked for sanity.
    /// </summary>
    public static bool TryPeekSize(ReadOnlySpan<byte> source, out int totalSize)
    {
        if (source.Length < RecordBatchHeader.LogOverhead)
        {
            totalSize = 0;
            return false;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(source[RecordBatchHeader.BatchLengthOffset..]);
        totalSize = length < 0 || length > int.MaxValue - RecordBatchHeader.LogOverhead ? -1 : length + RecordBatchHeader.LogOverhead;
        return true;
    }

    /// <summary>
    /// Checks the framing and integrity of the batch that starts <paramref name="source"/>:
    /// enough bytes, a sane length, magic 2, a matching CRC-32C and a consistent record count.
    /// Compressed records are not decompressed (see <see cref="ValidateRecords"/>).
    /// </summary>
    public static BatchError Validate(ReadOnlySpan<byte> source, out RecordBatchHeader header, out string? reason)
    {
        if (!RecordBatchHeader.TryRead(source, out header))
        {
            reason = $"Record batch truncated: {source.Length} bytes, a header needs {RecordBatchHeader.Size}.";
            return BatchError.Corrupt;
        }

        if (header.Magic != RecordBatchHeader.CurrentMagic)
        {
            reason = $"Unsupported record batch magic {header.Magic}; only magic 2 is stored.";
            return BatchError.Corrupt;
        }

        if (header.BatchLength < RecordBatchHeader.Size - RecordBatchHeader.LogOverhead)
        {
            reason = $"Record batch length {header.BatchLength} is smaller than its header.";
            return BatchError.Corrupt;
        }

        if (header.TotalSize > source.Length)
        {
            reason = $"Record batch truncated: length says {header.TotalSize} bytes, {source.Length} present.";
            return BatchError.Corrupt;
        }

        var computed = Crc32C.Compute(source[RecordBatchHeader.AttributesOffset..header.TotalSize]);
        if (computed != header.Crc)
        {
            reason = $"Record batch CRC mismatch: stored {header.Crc:x8}, computed {computed:x8}.";
            return BatchError.Corrupt;
        }

        if (header.RecordCount < 0 || header.LastOffsetDelta < 0)
        {
            reason = $"Record batch has negative record count {header.RecordCount} or last offset delta {header.LastOffsetDelta}.";
            return BatchError.InvalidRecord;
        }

        if ((int)header.Compression > (int)CompressionType.Zstd)
        {
            reason = $"Record batch has unknown compression type {(int)header.Compression}.";
            return BatchError.Corrupt;
        }

        reason = null;
        return BatchError.None;
    }

    /// <summary>
    /// Decodes every record of a batch that passed <see cref="Validate"/> (decompressing into
    /// <paramref name="scratch"/> when needed) and checks Kafka's record rules: the declared count
    /// is met exactly, offset deltas run 0..count-1, the last offset delta matches and each record's
    /// length covers its fields. Producer batches only: compacted batches have offset gaps.
    /// </summary>
    public static BatchError ValidateRecords(ReadOnlySpan<byte> batch, ArrayBufferWriter<byte> scratch, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        var error = Validate(batch, out var header, out reason);
        if (error != BatchError.None)
        {
            return error;
        }

        return ValidateRecordsOnly(batch, header, scratch, out reason, out _, out _);
    }

    /// <summary>
    /// The record checks of <see cref="ValidateRecords"/> for a batch whose header and CRC were
    /// already validated (avoids a second CRC pass on the append path).
    /// </summary>
    /// <param name="minTimestamp">Smallest record timestamp (for the timestamp window check).</param>
    /// <param name="maxTimestamp">Largest record timestamp.</param>
    internal static BatchError ValidateRecordsOnly(ReadOnlySpan<byte> batch, RecordBatchHeader header, ArrayBufferWriter<byte> scratch, out string? reason, out long minTimestamp, out long maxTimestamp)
    {
        minTimestamp = long.MaxValue;
        maxTimestamp = long.MinValue;
        if (header.RecordCount == 0)
        {
            reason = "Record batch has no records.";
            return BatchError.InvalidRecord;
        }

        if (header.LastOffsetDelta != header.RecordCount - 1)
        {
            reason = $"Record batch last offset delta {header.LastOffsetDelta} does not match its {header.RecordCount} records.";
            return BatchError.InvalidRecord;
        }

        RecordReader reader;
        try
        {
            reader = GetRecords(batch, header, scratch);
        }
        catch (InvalidDataException ex)
        {
            reason = $"Record batch does not decompress: {ex.Message}";
            return BatchError.Corrupt;
        }

        var expected = 0;
        try
        {
            // An explicit loop, not foreach: the enumerator is a copy and AtEnd is checked below.
            while (reader.MoveNext())
            {
                var record = reader.Current;
                if (record.OffsetDelta != expected)
                {
                    reason = $"Record {expected} has offset delta {record.OffsetDelta}.";
                    return BatchError.InvalidRecord;
                }

                var timestamp = header.BaseTimestamp + record.TimestampDelta;
                minTimestamp = Math.Min(minTimestamp, timestamp);
                maxTimestamp = Math.Max(maxTimestamp, timestamp);

                // Walk the headers so a malformed header section is caught here, not by a consumer.
                foreach (var _ in record.Headers)
                {
                }

                expected++;
            }
        }
        catch (InvalidDataException ex)
        {
            reason = ex.Message;
            return BatchError.InvalidRecord;
        }

        if (!reader.AtEnd)
        {
            reason = "Record batch has bytes after its last record.";
            return BatchError.InvalidRecord;
        }

        reason = null;
        return BatchError.None;
    }

    /// <summary>
    /// The records of a batch: a view over the batch itself when uncompressed, otherwise over the
    /// bytes decompressed into <paramref name="scratch"/> (which is cleared first).
    /// </summary>
    /// <exception cref="InvalidDataException">The compressed records are corrupt.</exception>
    public static RecordReader GetRecords(ReadOnlySpan<byte> batch, RecordBatchHeader header, ArrayBufferWriter<byte> scratch)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        var body = batch[RecordBatchHeader.Size..header.TotalSize];
        if (header.Compression == CompressionType.None)
        {
            return new RecordReader(body, header.RecordCount);
        }

        scratch.ResetWrittenCount();
        RecordCompression.Decompress(header.Compression, body, scratch);
        return new RecordReader(scratch.WrittenSpan, header.RecordCount);
    }

    /// <summary>Sets baseOffset in place. The CRC does not cover it, so nothing else changes.</summary>
    public static void SetBaseOffset(Span<byte> batch, long baseOffset) =>
        BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);

    /// <summary>Sets partitionLeaderEpoch in place; also outside the CRC.</summary>
    public static void SetPartitionLeaderEpoch(Span<byte> batch, int epoch) =>
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.PartitionLeaderEpochOffset..], epoch);

    /// <summary>
    /// Marks the batch as LogAppendTime with <paramref name="timestamp"/> as its max timestamp
    /// and rewrites the CRC (both fields are covered by it). Consumers then take every record's
    /// timestamp from maxTimestamp.
    /// </summary>
    public static void SetLogAppendTime(Span<byte> batch, long timestamp)
    {
        var attributes = BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..]);
        attributes |= RecordBatchHeader.TimestampTypeFlag;
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.MaxTimestampOffset..], timestamp);
        UpdateCrc(batch);
    }

    /// <summary>Recomputes and stores the CRC after a change to a covered field.</summary>
    public static void UpdateCrc(Span<byte> batch)
    {
        var total = BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatchHeader.BatchLengthOffset..]) + RecordBatchHeader.LogOverhead;
        var crc = Crc32C.Compute(batch[RecordBatchHeader.AttributesOffset..total]);
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatchHeader.CrcOffset..], crc);
    }

    /// <summary>Enumerates the headers of consecutive whole batches in a buffer without validating them.</summary>
    public static BatchHeaderEnumerator EnumerateHeaders(ReadOnlySpan<byte> batches) => new(batches);
}

/// <summary>
/// Walks consecutive batches by their length fields. Stops at the first incomplete batch (the
/// caller checks <see cref="Consumed"/> against the buffer length to detect a partial tail).
/// </summary>
public ref struct BatchHeaderEnumerator
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _next;

    public BatchHeaderEnumerator(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _next = 0;
        Current = default;
        CurrentPosition = -1;
    }

    public RecordBatchHeader Current { get; private set; }

    /// <summary>Position of <see cref="Current"/> in the buffer.</summary>
    public int CurrentPosition { get; private set; }

    /// <summary>Bytes covered by the batches enumerated so far.</summary>
    public readonly int Consumed => _next;

    public readonly BatchHeaderEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        var rest = _buffer[_next..];
        if (!RecordBatchHeader.TryRead(rest, out var header)
            || header.BatchLength < RecordBatchHeader.Size - RecordBatchHeader.LogOverhead
            || header.TotalSize > rest.Length)
        {
            return false;
        }

        Current = header;
        CurrentPosition = _next;
        _next += header.TotalSize;
        return true;
    }
}
