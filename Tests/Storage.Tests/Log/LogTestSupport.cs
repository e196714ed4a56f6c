using System.Buffers.Binary;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Storage.Tests.Records;

namespace Orleans.Kafka.Storage.Tests.Log;

/// <summary>A fresh directory under the temp folder, removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "okafka-log-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime(long startMs = 1_700_000_000_000) : TimeProvider
{
    public long NowMs { get; set; } = startMs;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);

    public void Advance(long ms) => NowMs += ms;
}

internal static class LogTestSupport
{
    /// <summary>All batches of the log, read in one go from the start.</summary>
    public static byte[] ReadAll(PartitionLog log, long from = -1)
    {
        using var result = log.Read(from < 0 ? log.LogStartOffset : from, int.MaxValue / 2);
        return result.Records.ToArray();
    }

    /// <summary>Headers of consecutive batches in a buffer; asserts the buffer holds only whole batches.</summary>
    public static List<RecordBatchHeader> Headers(ReadOnlySpan<byte> bytes)
    {
        var list = new List<RecordBatchHeader>();
        var e = RecordBatch.EnumerateHeaders(bytes);
        while (e.MoveNext())
        {
            list.Add(e.Current);
        }

        Assert.Equal(bytes.Length, e.Consumed);
        return list;
    }

    /// <summary>What the log should store for a produced batch: the same bytes with base offset and epoch rewritten.</summary>
    public static byte[] Expected(byte[] produced, long baseOffset, int epoch)
    {
        var copy = (byte[])produced.Clone();
        RecordBatch.SetBaseOffset(copy, baseOffset);
        RecordBatch.SetPartitionLeaderEpoch(copy, epoch);
        return copy;
    }

    public static int CountRecords(byte[] batch) => BinaryPrimitives.ReadInt32BigEndian(batch.AsSpan(RecordBatchHeader.RecordCountOffset));

    /// <summary>A batch stamped with <paramref name="timestamp"/> or, by default, the real clock (so segment.ms does not roll on every append).</summary>
    public static byte[] Batch(int records, int valueSize = 100, long? timestamp = null, CompressionType codec = CompressionType.None) =>
        TestRecords.Simple(records, valueSize, timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), codec);
}
