using System.Diagnostics;
using System.Globalization;
using Orleans.Kafka.Storage.Compaction;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Benchmarks.Storage;

/// <summary>
/// <c>quick-compact [MiB] [keys]</c>: one cleaning pass over closed segments of 1 KiB keyed
/// records (16 KiB batches, uncompressed and lz4), reported as records (1 KiB each) cleaned per second.
/// </summary>
public static class CompactionQuick
{
    public static int Run(string[] args)
    {
        var totalMiB = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 128;
        var keys = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
        Console.WriteLine($"Compaction: {totalMiB} MiB of 1 KiB records over {keys} keys, 64 MiB segments, one pass.");
        Console.WriteLine($"{"codec",-6} {"log MiB",8} {"kept MiB",9} {"records",9} {"kept",7} {"seconds",8} {"records/s",10} {"record MiB/s",13}");
        foreach (var codec in new[] { CompressionType.None, CompressionType.Lz4 })
        {
            var directory = Workload.NewDirectory();
            try
            {
                using var log = PartitionLog.Open(directory, Workload.LogConfig with { SegmentBytes = 64 * 1024 * 1024 });
                var value = new byte[Workload.RecordValueBytes];
                new Random(7).NextBytes(value);
                var rng = new Random(1);
                var builder = new RecordBatchBuilder(codec);
                long written = 0;
                while (written < totalMiB * 1024L * 1024)
                {
                    builder.Reset();
                    for (var i = 0; i < 16; i++)
                    {
                        builder.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), BitConverter.GetBytes(rng.Next(keys)), value);
                    }

                    written += 16 * 1024;
                    log.Append(builder.Build(), 0);
                }

                log.Roll();
                log.Flush();
                var cleaner = new LogCleaner(log, CleanerConfig.Default);
                var watch = Stopwatch.StartNew();
                var pass = cleaner.CleanAsync();
                // Appends go on during the pass: the slowest shows how long the swap holds the writer lock.
                var appends = new List<double>();
                var small = new RecordBatchBuilder().Add(0, "k"u8, "v"u8).Build();
                while (!pass.IsCompleted)
                {
                    var one = Stopwatch.StartNew();
                    log.Append(small, 0);
                    appends.Add(one.Elapsed.TotalMilliseconds);
                }

                var result = pass.GetAwaiter().GetResult();
                watch.Stop();
                appends.Sort();
                var readMiB = result.BytesRead / (1024.0 * 1024);
                var seconds = watch.Elapsed.TotalSeconds;
                Console.WriteLine($"{codec,-6} {readMiB,8:F0} {result.BytesWritten / (1024.0 * 1024),9:F1} {result.RecordsRead,9} {result.RecordsRetained,7} {seconds,8:F2} {result.RecordsRead / seconds,10:F0} {result.RecordsRead / 1024.0 / seconds,13:F0}"
                    + $"   {appends.Count} appends meanwhile, p50 {Percentile(appends, 0.5):F3} ms, p99 {Percentile(appends, 0.99):F3} ms, max {Percentile(appends, 1):F1} ms");
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        return 0;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1 + (p == 0 ? 1 : 0))];
}
