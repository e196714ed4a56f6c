using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Orleans.Kafka.Storage.Compression;

namespace Orleans.Kafka.Storage.Records;

/// <summary>
/// Builds valid magic-2 record batches (any codec) from records: for tests, .NET clients and
/// compaction. Records are encoded as they are added; <see cref="Build"/> frames, compresses
/// and checksums them. Offsets are relative: the log assigns the real base offset on append.
/// </summary>
public sealed class RecordBatchBuilder
{
    private readonly ArrayBufferWriter<byte> _records = new();
    private long _baseTimestamp;
    private long _maxTimestamp = -1;
    private int _nextOffsetDelta;

    public RecordBatchBuilder(CompressionType compression = CompressionType.None)
    {
        Compression = compression;
    }

    public CompressionType Compression { get; set; }

    /// <summary>Codec level passed to <see cref="RecordCompression.Compress"/>; null for its default.</summary>
    public int? CompressionLevel { get; set; }

    public long BaseOffset { get; set; }

    public int PartitionLeaderEpoch { get; set; } = -1;

    public long ProducerId { get; set; } = -1;

    public short ProducerEpoch { get; set; } = -1;

    public int BaseSequence { get; set; } = -1;

    public bool IsTransactional { get; set; }

    public bool IsControl { get; set; }

    public TimestampType TimestampType { get; set; }

    public int Count { get; private set; }

    /// <summary>Encoded (uncompressed) size of the records so far.</summary>
    public int RecordsSize => _records.WrittenCount;

    /// <summary>Adds a record at the next offset delta.</summary>
    public RecordBatchBuilder Add(long timestamp, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, IReadOnlyList<KeyValuePair<string, byte[]?>>? headers = null) =>
        Add(timestamp, key, keyIsNull: false, value, valueIsNull: false, headers);

    /// <summary>Adds a record; null arrays encode as null key/value (length -1).</summary>
    public RecordBatchBuilder Add(long timestamp, byte[]? key, byte[]? value, IReadOnlyList<KeyValuePair<string, byte[]?>>? headers = null) =>
        Add(timestamp, key, key is null, value, value is null, headers);

    public RecordBatchBuilder Add(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, IReadOnlyList<KeyValuePair<string, byte[]?>>? headers) =>
        AddWithOffsetDelta(_nextOffsetDelta, timestamp, key, keyIsNull, value, valueIsNull, headers);

    /// <summary>
    /// Adds a record with an explicit offset delta (compaction keeps the original offsets, leaving
    /// gaps). Deltas must increase.
    /// </summary>
    public RecordBatchBuilder AddWithOffsetDelta(int offsetDelta, long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, IReadOnlyList<KeyValuePair<string, byte[]?>>? headers)
    {
        if (offsetDelta < _nextOffsetDelta)
        {
            throw new ArgumentOutOfRangeException(nameof(offsetDelta), offsetDelta, "Offset deltas must increase.");
        }

        if (Count == 0)
        {
            _baseTimestamp = timestamp;
        }

        _maxTimestamp = Count == 0 ? timestamp : Math.Max(_maxTimestamp, timestamp);
        var timestampDelta = timestamp - _baseTimestamp;
        var keyLength = keyIsNull ? -1 : key.Length;
        var valueLength = valueIsNull ? -1 : value.Length;
        var headerCount = headers?.Count ?? 0;

        var bodySize = 1 + Varint.SizeOfVarLong(timestampDelta) + Varint.SizeOfVarLong(offsetDelta)
            + Varint.SizeOfVarLong(keyLength) + Math.Max(keyLength, 0)
            + Varint.SizeOfVarLong(valueLength) + Math.Max(valueLength, 0)
            + Varint.SizeOfVarLong(headerCount);
        for (var i = 0; i < headerCount; i++)
        {
            var (name, headerValue) = headers![i];
            var nameLength = Encoding.UTF8.GetByteCount(name);
            bodySize += Varint.SizeOfVarLong(nameLength) + nameLength + Varint.SizeOfVarLong(headerValue?.Length ?? -1) + (headerValue?.Length ?? 0);
        }

        var span = _records.GetSpan(bodySize + Varint.MaxVarIntBytes);
        var pos = Varint.WriteVarLong(span, bodySize);
        span[pos++] = 0; // record attributes: unused in v2
        pos += Varint.WriteVarLong(span[pos..], timestampDelta);
        pos += Varint.WriteVarLong(span[pos..], offsetDelta);
        pos += Varint.WriteVarLong(span[pos..], keyLength);
        if (keyLength > 0)
        {
            key.CopyTo(span[pos..]);
            pos += keyLength;
        }

        pos += Varint.WriteVarLong(span[pos..], valueLength);
        if (valueLength > 0)
        {
            value.CopyTo(span[pos..]);
            pos += valueLength;
        }

        pos += Varint.WriteVarLong(span[pos..], headerCount);
        for (var i = 0; i < headerCount; i++)
        {
            var (name, headerValue) = headers![i];
            var nameLength = Encoding.UTF8.GetByteCount(name);
            pos += Varint.WriteVarLong(span[pos..], nameLength);
            pos += Encoding.UTF8.GetBytes(name, span[pos..]);
            pos += Varint.WriteVarLong(span[pos..], headerValue?.Length ?? -1);
            if (headerValue is { Length: > 0 })
            {
                headerValue.CopyTo(span[pos..]);
                pos += headerValue.Length;
            }
        }

        _records.Advance(pos);
        _nextOffsetDelta = offsetDelta + 1;
        Count++;
        return this;
    }

    /// <summary>Writes the finished batch to <paramref name="output"/> and returns its size.</summary>
    public int WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ReadOnlySpan<byte> body = _records.WrittenSpan;
        ArrayBufferWriter<byte>? compressed = null;
        if (Compression != CompressionType.None)
        {
            compressed = new ArrayBufferWriter<byte>(Math.Max(256, body.Length / 2));
            RecordCompression.Compress(Compression, body, compressed, CompressionLevel);
            body = compressed.WrittenSpan;
        }

        var total = RecordBatchHeader.Size + body.Length;
        var batch = output.GetSpan(total)[..total];
        short attributes = (short)((int)Compression & RecordBatchHeader.CompressionMask);
        if (TimestampType == TimestampType.LogAppendTime)
        {
            attributes |= RecordBatchHeader.TimestampTypeFlag;
        }

        if (IsTransactional)
        {
            attributes |= RecordBatchHeader.TransactionalFlag;
        }

        if (IsControl)
        {
            attributes |= RecordBatchHeader.ControlFlag;
        }

        BinaryPrimitives.WriteInt64BigEndian(batch, BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BatchLengthOffset..], total - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.PartitionLeaderEpochOffset..], PartitionLeaderEpoch);
        batch[RecordBatchHeader.MagicOffset] = RecordBatchHeader.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.LastOffsetDeltaOffset..], Math.Max(_nextOffsetDelta - 1, 0));
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.BaseTimestampOffset..], Count == 0 ? -1 : _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.MaxTimestampOffset..], _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.ProducerIdOffset..], ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.ProducerEpochOffset..], ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BaseSequenceOffset..], BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.RecordCountOffset..], Count);
        body.CopyTo(batch[RecordBatchHeader.Size..]);
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatchHeader.CrcOffset..], Crc32C.Compute(batch[RecordBatchHeader.AttributesOffset..]));
        output.Advance(total);
        return total;
    }

    public byte[] Build()
    {
        var output = new ArrayBufferWriter<byte>(RecordBatchHeader.Size + _records.WrittenCount);
        WriteTo(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Clears the records, keeping the settings, to build the next batch.</summary>
    public void Reset()
    {
        _records.ResetWrittenCount();
        _maxTimestamp = -1;
        _nextOffsetDelta = 0;
        Count = 0;
    }

    /// <summary>A transaction marker batch (control, transactional, one record) as a coordinator writes it.</summary>
    public static byte[] BuildControlBatch(ControlRecordType type, long producerId, short producerEpoch, int coordinatorEpoch, long timestamp)
    {
        var marker = new ControlRecord(type, coordinatorEpoch);
        var builder = new RecordBatchBuilder
        {
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            IsTransactional = true,
            IsControl = true,
        };
        builder.Add(timestamp, marker.EncodeKey(), marker.EncodeValue());
        return builder.Build();
    }
}
