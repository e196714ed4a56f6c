using System.Buffers.Binary;
using Orleans.Kafka.Storage.Compression;

namespace Orleans.Kafka.Storage.Records;

/// <summary>
/// The 61-byte header of a magic-2 record batch, decoded. Field positions follow Kafka's
/// DefaultRecordBatch; all integers are big-endian.
/// </summary>
public readonly struct RecordBatchHeader
{
    public const int BaseOffsetOffset = 0;
    public const int BatchLengthOffset = 8;
    public const int PartitionLeaderEpochOffset = 12;
    public const int MagicOffset = 16;
    public const int CrcOffset = 17;
    public const int AttributesOffset = 21;
    public const int LastOffsetDeltaOffset = 23;
    public const int BaseTimestampOffset = 27;
    public const int MaxTimestampOffset = 35;
    public const int ProducerIdOffset = 43;
    public const int ProducerEpochOffset = 51;
    public const int BaseSequenceOffset = 53;
    public const int RecordCountOffset = 57;

    /// <summary>Size of the header; the records follow.</summary>
    public const int Size = 61;

    /// <summary>baseOffset + batchLength: the bytes not counted by batchLength.</summary>
    public const int LogOverhead = 12;

    public const byte CurrentMagic = 2;

    public const short CompressionMask = 0x07;
    public const short TimestampTypeFlag = 0x08;
    public const short TransactionalFlag = 0x10;
    public const short ControlFlag = 0x20;
    public const short DeleteHorizonFlag = 0x40;

    public long BaseOffset { get; init; }
    public int BatchLength { get; init; }
    public int PartitionLeaderEpoch { get; init; }
    public sbyte Magic { get; init; }
    public uint Crc { get; init; }
    public short Attributes { get; init; }
    public int LastOffsetDelta { get; init; }
    public long BaseTimestamp { get; init; }
    public long MaxTimestamp { get; init; }
    public long ProducerId { get; init; }
    public short ProducerEpoch { get; init; }
    public int BaseSequence { get; init; }
    public int RecordCount { get; init; }

    /// <summary>Whole batch size in bytes, header included.</summary>
    public int TotalSize => BatchLength + LogOverhead;

    public long LastOffset => BaseOffset + LastOffsetDelta;

    public long NextOffset => LastOffset + 1;

    public CompressionType Compression => (CompressionType)(Attributes & CompressionMask);

    public TimestampType TimestampType => (Attributes & TimestampTypeFlag) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    public bool IsTransactional => (Attributes & TransactionalFlag) != 0;

    public bool IsControl => (Attributes & ControlFlag) != 0;

    public bool HasDeleteHorizon => (Attributes & DeleteHorizonFlag) != 0;

    /// <summary>Last sequence number in the batch, wrapping at int.MaxValue as Kafka does; -1 without a producer.</summary>
    public int LastSequence => BaseSequence < 0 ? -1 : (int)((BaseSequence + (long)LastOffsetDelta) % ((long)int.MaxValue + 1));

    /// <summary>
    /// Decodes the header fields. False only when fewer than <see cref="Size"/> bytes are given;
    /// it does not check magic, lengths or CRC (see <see cref="RecordBatch.Validate"/>).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out RecordBatchHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        header = new RecordBatchHeader
        {
            BaseOffset = BinaryPrimitives.ReadInt64BigEndian(source),
            BatchLength = BinaryPrimitives.ReadInt32BigEndian(source[BatchLengthOffset..]),
            PartitionLeaderEpoch = BinaryPrimitives.ReadInt32BigEndian(source[PartitionLeaderEpochOffset..]),
            Magic = (sbyte)source[MagicOffset],
            Crc = BinaryPrimitives.ReadUInt32BigEndian(source[CrcOffset..]),
            Attributes = BinaryPrimitives.ReadInt16BigEndian(source[AttributesOffset..]),
            LastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(source[LastOffsetDeltaOffset..]),
            BaseTimestamp = BinaryPrimitives.ReadInt64BigEndian(source[BaseTimestampOffset..]),
            MaxTimestamp = BinaryPrimitives.ReadInt64BigEndian(source[MaxTimestampOffset..]),
            ProducerId = BinaryPrimitives.ReadInt64BigEndian(source[ProducerIdOffset..]),
            ProducerEpoch = BinaryPrimitives.ReadInt16BigEndian(source[ProducerEpochOffset..]),
            BaseSequence = BinaryPrimitives.ReadInt32BigEndian(source[BaseSequenceOffset..]),
            RecordCount = BinaryPrimitives.ReadInt32BigEndian(source[RecordCountOffset..]),
        };
        return true;
    }

    public override string ToString() =>
        $"Batch(base={BaseOffset}, last={LastOffset}, size={TotalSize}, count={RecordCount}, {Compression}, pid={ProducerId}, seq={BaseSequence})";
}
