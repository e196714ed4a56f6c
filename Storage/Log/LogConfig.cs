using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Log;

/// <summary>
/// Per-partition log settings, named and defaulted as Kafka's topic configs. -1 for
/// <see cref="RetentionMs"/> / <see cref="RetentionBytes"/> means unlimited, as in Kafka.
/// </summary>
public sealed record LogConfig
{
    /// <summary><c>segment.bytes</c>: roll when the active segment would pass this size.</summary>
    public long SegmentBytes { get; init; } = 1073741824;

    /// <summary><c>segment.ms</c>: roll when the active segment's first batch is this old.</summary>
    public long SegmentMs { get; init; } = 604800000;

    /// <summary><c>index.interval.bytes</c>: bytes of log between sparse index entries.</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary><c>segment.index.bytes</c>: preallocated index size; a full index rolls the segment.</summary>
    public int SegmentIndexBytes { get; init; } = 10485760;

    /// <summary><c>retention.ms</c>; -1 keeps forever.</summary>
    public long RetentionMs { get; init; } = 604800000;

    /// <summary><c>retention.bytes</c>; -1 means no size limit.</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary><c>max.message.bytes</c>: largest record batch accepted (whole batch, header included).</summary>
    public int MaxMessageBytes { get; init; } = 1048588;

    /// <summary><c>message.timestamp.type</c>.</summary>
    public TimestampType MessageTimestampType { get; init; } = TimestampType.CreateTime;

    /// <summary><c>message.timestamp.before.max.ms</c>: how far in the past a CreateTime timestamp may be.</summary>
    public long MessageTimestampBeforeMaxMs { get; init; } = long.MaxValue;

    /// <summary><c>message.timestamp.after.max.ms</c>: how far in the future a CreateTime timestamp may be.</summary>
    public long MessageTimestampAfterMaxMs { get; init; } = long.MaxValue;

    /// <summary><c>flush.messages</c>: fsync after this many records; Kafka's default leaves it to the OS.</summary>
    public long FlushMessages { get; init; } = long.MaxValue;

    /// <summary><c>flush.ms</c>: fsync when the last flush is this old (checked on append and by <see cref="PartitionLog.FlushIfDue"/>).</summary>
    public long FlushMs { get; init; } = long.MaxValue;

    /// <summary>
    /// Decompress and check every record of compressed producer batches on append (Kafka always
    /// does). Off by default: the design stores compressed batches after a header and CRC check,
    /// and the broker calls <see cref="RecordBatch.ValidateRecords"/> where it needs more.
    /// Uncompressed batches are always checked record by record: that costs no copy.
    /// </summary>
    public bool ValidateCompressedRecords { get; init; }

    public static LogConfig Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        Check(SegmentBytes >= 14 && SegmentBytes <= int.MaxValue, "segment.bytes", SegmentBytes);
        Check(SegmentMs >= 1, "segment.ms", SegmentMs);
        Check(IndexIntervalBytes >= 0, "index.interval.bytes", IndexIntervalBytes);
        Check(SegmentIndexBytes >= 12 * 4, "segment.index.bytes", SegmentIndexBytes);
        Check(RetentionMs >= -1, "retention.ms", RetentionMs);
        Check(RetentionBytes >= -1, "retention.bytes", RetentionBytes);
        Check(MaxMessageBytes >= 0, "max.message.bytes", MaxMessageBytes);
        Check(MessageTimestampBeforeMaxMs >= 0, "message.timestamp.before.max.ms", MessageTimestampBeforeMaxMs);
        Check(MessageTimestampAfterMaxMs >= 0, "message.timestamp.after.max.ms", MessageTimestampAfterMaxMs);
        Check(FlushMessages >= 1, "flush.messages", FlushMessages);
        Check(FlushMs >= 0, "flush.ms", FlushMs);
    }

    private static void Check(bool ok, string name, long value)
    {
        if (!ok)
        {
            throw new ArgumentException($"Log config {name}={value} is out of range.", name);
        }
    }
}
