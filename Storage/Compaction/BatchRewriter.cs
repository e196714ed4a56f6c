using System.Buffers;
using System.Buffers.Binary;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Compaction;

/// <summary>
/// Re-encodes what survives of one batch, as Kafka's MemoryRecords.filterTo does for magic 2:
/// the batch keeps its base offset, leader epoch, producer id, epoch and base sequence;
/// retained records keep their offset deltas (gaps allowed) and are recompressed with the
/// batch's codec. When the batch gets a delete horizon (it retains a tombstone or is a
/// transaction marker) the horizon becomes the base timestamp and the record timestamp deltas
/// are recomputed against it, which is how Kafka stores it (DeleteHorizonFlag, KIP-534).
/// </summary>
internal sealed class BatchRewriter
{
    private readonly ArrayBufferWriter<byte> _records = new();
    private readonly ArrayBufferWriter<byte> _compressed = new();
    private RecordBatchHeader _original;
    private long _baseTimestamp;
    private long _maxTimestamp;
    private int _lastOffsetDelta;
    private bool _setHorizon;

    public int Count { get; private set; }

    /// <summary>Starts a rewrite of <paramref name="original"/>; with <paramref name="deleteHorizonMs"/> it sets the delete horizon.</summary>
    public void Begin(in RecordBatchHeader original, long? deleteHorizonMs)
    {
        _original = original;
        _records.ResetWrittenCount();
        _setHorizon = deleteHorizonMs.HasValue;
        _baseTimestamp = deleteHorizonMs ?? original.BaseTimestamp;
        _maxTimestamp = -1;
        _lastOffsetDelta = 0;
        Count = 0;
    }

    /// <summary>Appends a retained record of the original batch, unchanged but for its timestamp delta.</summary>
    public void Add(in Record record)
    {
        var timestamp = _original.BaseTimestamp + record.TimestampDelta;
        var timestampDelta = timestamp - _baseTimestamp;
        var keyLength = record.KeyIsNull ? -1 : record.Key.Length;
        var valueLength = record.ValueIsNull ? -1 : record.Value.Length;
        var headers = record.HeaderBytes;
        var bodySize = 1 + Varint.SizeOfVarLong(timestampDelta) + Varint.SizeOfVarLong(record.OffsetDelta)
            + Varint.SizeOfVarLong(keyLength) + Math.Max(keyLength, 0)
            + Varint.SizeOfVarLong(valueLength) + Math.Max(valueLength, 0)
            + Varint.SizeOfVarLong(record.HeaderCount) + headers.Length;
        var span = _records.GetSpan(bodySize + 10);
        var pos = Varint.WriteVarLong(span, bodySize);
        span[pos++] = (byte)record.Attributes;
        pos += Varint.WriteVarLong(span[pos..], timestampDelta);
        pos += Varint.WriteVarLong(span[pos..], record.OffsetDelta);
        pos += Varint.WriteVarLong(span[pos..], keyLength);
        record.Key.CopyTo(span[pos..]);
        pos += Math.Max(keyLength, 0);
        pos += Varint.WriteVarLong(span[pos..], valueLength);
        record.Value.CopyTo(span[pos..]);
        pos += Math.Max(valueLength, 0);
        pos += Varint.WriteVarLong(span[pos..], record.HeaderCount);
        headers.CopyTo(span[pos..]);
        pos += headers.Length;
        _records.Advance(pos);

        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);
        _lastOffsetDelta = record.OffsetDelta;
        Count++;
    }

    /// <summary>Writes the rebuilt batch (at least one record must have been added).</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> body = _records.WrittenSpan;
        if (_original.Compression != CompressionType.None)
        {
            _compressed.ResetWrittenCount();
            RecordCompression.Compress(_original.Compression, body, _compressed);
            body = _compressed.WrittenSpan;
        }

        var attributes = _original.Attributes;
        if (_setHorizon)
        {
            attributes |= RecordBatchHeader.DeleteHorizonFlag;
        }

        // LogAppendTime batches carry their time in maxTimestamp; the records' own are ignored.
        var maxTimestamp = _original.TimestampType == TimestampType.LogAppendTime ? _original.MaxTimestamp : _maxTimestamp;
        WriteBatch(output, _original, attributes, _lastOffsetDelta, _baseTimestamp, maxTimestamp, Count, body);
    }

    /// <summary>
    /// Writes a batch with no records that keeps the original's offsets, producer fields and max
    /// timestamp (Kafka's writeEmptyHeader): the producer's sequence state and the segment's
    /// offset range survive though every record went.
    /// </summary>
    public static void WriteEmptyHeader(IBufferWriter<byte> output, in RecordBatchHeader original)
    {
        var attributes = (short)(original.Attributes & ~RecordBatchHeader.CompressionMask & ~RecordBatchHeader.DeleteHorizonFlag);
        WriteBatch(output, original, attributes, original.LastOffsetDelta, original.MaxTimestamp, original.MaxTimestamp, 0, []);
    }

    private static void WriteBatch(IBufferWriter<byte> output, in RecordBatchHeader original, short attributes, int lastOffsetDelta, long baseTimestamp, long maxTimestamp, int count, ReadOnlySpan<byte> body)
    {
        var total = RecordBatchHeader.Size + body.Length;
        var batch = output.GetSpan(total)[..total];
        BinaryPrimitives.WriteInt64BigEndian(batch, original.BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BatchLengthOffset..], total - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.PartitionLeaderEpochOffset..], original.PartitionLeaderEpoch);
        batch[RecordBatchHeader.MagicOffset] = RecordBatchHeader.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.LastOffsetDeltaOffset..], lastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.BaseTimestampOffset..], baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.MaxTimestampOffset..], maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.ProducerIdOffset..], original.ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.ProducerEpochOffset..], original.ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BaseSequenceOffset..], original.BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.RecordCountOffset..], count);
        body.CopyTo(batch[RecordBatchHeader.Size..]);
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatchHeader.CrcOffset..], Crc32C.Compute(batch[RecordBatchHeader.AttributesOffset..]));
        output.Advance(total);
    }
}
