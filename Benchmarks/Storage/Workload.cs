using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Benchmarks.Storage;

/// <summary>
/// The bytes both sides write and read: one record batch of <see cref="BatchBytes"/> (records
/// of ~1 KiB: an 8-byte key and a 1000-byte value, uncompressed), appended until the total
/// reaches <see cref="TotalBytes"/>. The raw side writes exactly the same batch bytes.
/// </summary>
public sealed class Workload
{
    public const int RecordValueBytes = 1000;

    /// <summary>Fetch size for sequential reads on both sides (Kafka's max.partition.fetch.bytes default).</summary>
    public const int ReadChunkBytes = 1024 * 1024;

    public Workload(int batchBytes, long totalBytes)
    {
        BatchBytes = batchBytes;
        var records = Math.Max(1, batchBytes / 1024);
        var builder = new RecordBatchBuilder();
        var value = new byte[RecordValueBytes];
        new Random(42).NextBytes(value);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < records; i++)
        {
            builder.Add(timestamp, BitConverter.GetBytes((long)i), value);
        }

        Batch = builder.Build();
        BatchCount = (int)Math.Max(1, totalBytes / Batch.Length);
    }

    /// <summary>Nominal batch size (16 KiB or 1 MiB); <see cref="Batch"/> is that many 1 KiB records.</summary>
    public int BatchBytes { get; }

    public byte[] Batch { get; }

    public int BatchCount { get; }

    public long TotalBytes => (long)Batch.Length * BatchCount;

    /// <summary>Default bytes per operation.</summary>
    public const long DefaultTotalBytes = 256L * 1024 * 1024;

    /// <summary>Log settings: one segment holds the whole run, nothing is fsynced (same policy as the raw side), 1 MiB batches allowed.</summary>
    public static LogConfig LogConfig { get; } = new()
    {
        SegmentBytes = int.MaxValue,
        RetentionMs = -1,
        MaxMessageBytes = 4 * 1024 * 1024,
    };

    public static string NewDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "okafka-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>The measured operations, shared by the BenchmarkDotNet classes and the quick runner.</summary>
public static class StorageOperations
{
    /// <summary>Appends every batch through a FileStream (no fsync): the machine's own limit.</summary>
    public static long RawAppend(string path, Workload workload)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1, FileOptions.None);
        for (var i = 0; i < workload.BatchCount; i++)
        {
            stream.Write(workload.Batch);
        }

        return stream.Position;
    }

    /// <summary>Appends every batch to the partition log as a leader (validation, offsets, indexes).</summary>
    public static long LogAppend(PartitionLog log, Workload workload)
    {
        long last = 0;
        for (var i = 0; i < workload.BatchCount; i++)
        {
            last = log.Append(workload.Batch, 0).LastOffset;
        }

        return last;
    }

    /// <summary>
    /// Puts both sides' pages in the same state before reads are timed: written back and clean in
    /// the page cache. Without it the file written first is often mid-writeback when read, which
    /// swung read ratios between 60 % and 120 % in either direction on this machine.
    /// </summary>
    public static void SettleForRead(string rawPath, PartitionLog log)
    {
        using (var raw = File.OpenHandle(rawPath, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.FlushToDisk(raw);
        }

        log.Flush();
    }

    /// <summary>Reads the raw file front to back in fetch-sized chunks.</summary>
    public static long RawRead(string path, byte[] buffer)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        long total = 0;
        int n;
        while ((n = stream.Read(buffer, 0, Workload.ReadChunkBytes)) > 0)
        {
            total += n;
        }

        return total;
    }

    /// <summary>Reads the log front to back as a consumer's fetches would (whole batches, up to 1 MiB each).</summary>
    public static long LogRead(PartitionLog log)
    {
        long total = 0;
        var offset = log.LogStartOffset;
        var end = log.LogEndOffset;
        while (offset < end)
        {
            using var result = log.Read(offset, Workload.ReadChunkBytes);
            total += result.Length;
            offset = result.NextOffset;
        }

        return total;
    }
}
