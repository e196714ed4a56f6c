using System.Diagnostics;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using static Orleans.Kafka.Storage.Tests.Log.LogTestSupport;

namespace Orleans.Kafka.Storage.Tests.Log;

public class PartitionLogStressTests
{
    private const int Partitions = 64;
    private static readonly TimeSpan WriteTime = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Sixty_four_partitions_append_and_read_concurrently_without_torn_or_misplaced_batches()
    {
        using var root = new TempDirectory();
        var config = new LogConfig { SegmentBytes = 64 * 1024, IndexIntervalBytes = 1024, RetentionMs = -1 };
        var logs = Enumerable.Range(0, Partitions).Select(p => PartitionLog.Open(Path.Combine(root.Path, $"t-{p}"), config)).ToArray();
        try
        {
            var deadline = Stopwatch.StartNew();
            var writersDone = 0;
            var appended = new long[Partitions];

            // One writer per partition (the grain's rule); some also move the log start.
            var writers = Enumerable.Range(0, Partitions).Select(p => Task.Run(() =>
            {
                var random = new Random(p);
                var log = logs[p];
                for (var i = 0; deadline.Elapsed < WriteTime && i < 400; i++)
                {
                    var codec = random.Next(3) == 0 ? CompressionType.Lz4 : CompressionType.None;
                    var result = log.Append(Batch(random.Next(1, 6), random.Next(50, 600), codec: codec), leaderEpoch: 1);
                    appended[p] += result.RecordCount;
                    if (p % 8 == 0 && i % 100 == 99)
                    {
                        log.DeleteRecordsBefore(log.LogEndOffset / 2);
                    }
                }

                Interlocked.Increment(ref writersDone);
            })).ToArray();

            long reads = 0;
            var readers = Enumerable.Range(0, 4).Select(r => Task.Run(() =>
            {
                var random = new Random(1000 + r);
                while (Volatile.Read(ref writersDone) < Partitions)
                {
                    var log = logs[random.Next(Partitions)];
                    var start = log.LogStartOffset;
                    var end = log.LogEndOffset;
                    var offset = start + (long)(random.NextDouble() * (end - start));
                    try
                    {
                        using var result = log.Read(offset, random.Next(1, 16 * 1024));
                        AssertWholeContiguousBatches(result, offset);
                    }
                    catch (LogException ex) when (ex.Kind == LogErrorKind.OffsetOutOfRange && offset < log.LogStartOffset)
                    {
                        // The start moved between choosing the offset and reading it.
                    }

                    Interlocked.Increment(ref reads);
                }
            })).ToArray();

            await Task.WhenAll(writers.Concat(readers)).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(Interlocked.Read(ref reads) > 100, $"only {reads} reads ran");

            for (var p = 0; p < Partitions; p++)
            {
                var log = logs[p];
                Assert.Equal(appended[p], log.LogEndOffset);
                using var all = log.Read(log.LogStartOffset, int.MaxValue / 2);
                AssertWholeContiguousBatches(all, log.LogStartOffset);
                Assert.Equal(log.LogEndOffset, all.NextOffset);
            }
        }
        finally
        {
            foreach (var log in logs)
            {
                log.Dispose();
            }
        }
    }

    private static void AssertWholeContiguousBatches(LogReadResult result, long offset)
    {
        if (result.BatchCount == 0)
        {
            return;
        }

        var span = result.Records.Span;
        var position = 0;
        long expectedBase = -1;
        while (position < span.Length)
        {
            Assert.Equal(BatchError.None, RecordBatch.Validate(span[position..], out var header, out var reason));
            Assert.Null(reason);
            if (expectedBase < 0)
            {
                Assert.True(header.BaseOffset <= offset && offset <= header.LastOffset, $"first batch {header} does not hold {offset}");
            }
            else
            {
                Assert.Equal(expectedBase, header.BaseOffset);
            }

            expectedBase = header.NextOffset;
            position += header.TotalSize;
        }

        Assert.Equal(result.NextOffset, expectedBase);
    }
}
