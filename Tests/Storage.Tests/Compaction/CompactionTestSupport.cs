using System.Buffers;
using System.Text;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Storage.Tests.Log;

namespace Orleans.Kafka.Storage.Tests.Compaction;

/// <summary>A record as the log holds it: its offset, key and value (null = tombstone), timestamp, and batch facts.</summary>
internal sealed record StoredRecord(long Offset, string? Key, string? Value, long Timestamp, bool IsControl, long ProducerId);

/// <summary>A keyed write for building batches; a null value is a tombstone.</summary>
internal readonly record struct KeyedWrite(string? Key, string? Value);

internal static class CompactionTestSupport
{
    public static readonly LogConfig SmallSegments = new() { SegmentBytes = 2048, IndexIntervalBytes = 256, RetentionMs = -1 };

    public static byte[] Batch(IEnumerable<KeyedWrite> writes, long timestamp, CompressionType codec = CompressionType.None,
        long producerId = -1, short epoch = -1, int baseSequence = -1, bool transactional = false)
    {
        var builder = new RecordBatchBuilder(codec)
        {
            ProducerId = producerId,
            ProducerEpoch = epoch,
            BaseSequence = baseSequence,
            IsTransactional = transactional,
        };
        foreach (var w in writes)
        {
            builder.Add(timestamp, w.Key is null ? null : Encoding.UTF8.GetBytes(w.Key), w.Value is null ? null : Encoding.UTF8.GetBytes(w.Value));
        }

        return builder.Build();
    }

    /// <summary>Every record and empty batch of the log, checking that each batch is valid and offsets strictly increase.</summary>
    public static List<StoredRecord> ReadRecords(PartitionLog log, List<RecordBatchHeader>? headers = null)
    {
        var bytes = LogTestSupport.ReadAll(log);
        var result = new List<StoredRecord>();
        var scratch = new ArrayBufferWriter<byte>();
        var position = 0;
        var previous = long.MinValue;
        while (position < bytes.Length)
        {
            Assert.Equal(BatchError.None, RecordBatch.Validate(bytes.AsSpan(position), out var header, out var reason));
            Assert.Null(reason);
            Assert.True(header.BaseOffset > previous, $"batch base {header.BaseOffset} after {previous}");
            headers?.Add(header);
            var batch = bytes.AsSpan(position, header.TotalSize);
            foreach (var record in RecordBatch.GetRecords(batch, header, scratch))
            {
                var offset = header.BaseOffset + record.OffsetDelta;
                Assert.True(offset > previous, $"offset {offset} after {previous}");
                Assert.True(offset <= header.LastOffset);
                previous = offset;
                result.Add(new StoredRecord(
                    offset,
                    record.KeyIsNull ? null : Encoding.UTF8.GetString(record.Key),
                    record.ValueIsNull ? null : Encoding.UTF8.GetString(record.Value),
                    header.BaseTimestamp + record.TimestampDelta,
                    header.IsControl,
                    header.ProducerId));
            }

            previous = Math.Max(previous, header.LastOffset);
            position += header.TotalSize;
        }

        return result;
    }

    /// <summary>
    /// The model: below <paramref name="cleanedUpTo"/> only the newest record of each key stays
    /// (tombstones too, unless <paramref name="tombstonesGone"/>); above it everything stays.
    /// </summary>
    public static List<StoredRecord> Model(IReadOnlyList<StoredRecord> written, long cleanedUpTo, bool tombstonesGone)
    {
        var newest = new Dictionary<string, long>();
        foreach (var r in written)
        {
            if (r.Key is not null && r.Offset < cleanedUpTo)
            {
                newest[r.Key] = r.Offset;
            }
        }

        return [.. written.Where(r => r.Offset >= cleanedUpTo
            || (r.Key is not null && newest[r.Key] == r.Offset && (r.Value is not null || !tombstonesGone)))];
    }

    public static void AssertRecords(IReadOnlyList<StoredRecord> expected, IReadOnlyList<StoredRecord> actual)
    {
        var missing = expected.Except(actual).Take(5).ToList();
        var extra = actual.Except(expected).Take(5).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && expected.Count == actual.Count,
            $"expected {expected.Count} records, got {actual.Count}; missing {string.Join(", ", missing)}; extra {string.Join(", ", extra)}");
        Assert.Equal(expected, actual);
    }

    /// <summary>Active segment's base: the cleaner never goes past it.</summary>
    public static long ActiveBase(PartitionLog log) => log.Segments[^1].BaseOffset;
}
