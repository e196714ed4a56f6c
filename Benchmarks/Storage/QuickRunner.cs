using System.Diagnostics;
using System.Globalization;
using Orleans.Kafka.Storage.Log;

namespace Orleans.Kafka.Benchmarks.Storage;

/// <summary>
/// <c>quick</c>: the same comparison as the BenchmarkDotNet classes with a Stopwatch loop.
/// Each round writes and reads a fresh raw file and a fresh log (alternating which goes first,
/// so drift in the machine's load hits both sides); the table gives medians of the rounds
/// and the log/raw ratio of those medians.
/// </summary>
public static class QuickRunner
{
    public static int Run(string[] args)
    {
        var totalMiB = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 256;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        Console.WriteLine($"Storage quick benchmark: {totalMiB} MiB per operation, median of {rounds} rounds; appends never fsync (either side), reads run on clean cached pages (both files fsynced, untimed, before reading).");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; load {LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine($"{"batch",-8} {"operation",-9} {"raw MiB/s",10} {"log MiB/s",10} {"log/raw",8} {"per-round",10} {"target",7}");
        var allMet = true;
        foreach (var batchBytes in new[] { 16 * 1024, 1024 * 1024 })
        {
            var workload = new Workload(batchBytes, totalMiB * 1024L * 1024);
            var samples = Measure(workload, rounds);
            foreach (var (operation, raw, log) in new[] { ("append", samples.RawAppend, samples.LogAppend), ("read", samples.RawRead, samples.LogRead) })
            {
                var rawMedian = Median(raw);
                var logMedian = Median(log);
                var ratio = logMedian / rawMedian;
                // Each round measures both sides back to back: the median of those ratios shrugs off load drift between rounds.
                var perRound = Median([.. raw.Zip(log, (r, l) => l / r)]);
                var met = ratio >= 0.8;
                allMet &= met;
                Console.WriteLine($"{Label(batchBytes),-8} {operation,-9} {rawMedian,10:F0} {logMedian,10:F0} {ratio,8:P0} {perRound,10:P0} {(met ? "met" : "MISSED"),7}");
            }
        }

        Console.WriteLine();
        Console.WriteLine($"log/raw = ratio of the medians; per-round = median of each round's ratio. Target (log >= 80% of raw): {(allMet ? "met in every row" : "missed in a row")}. Load after: {LoadAverage()}");
        return 0;
    }

    private sealed class Samples
    {
        public List<double> RawAppend { get; } = [];
        public List<double> LogAppend { get; } = [];
        public List<double> RawRead { get; } = [];
        public List<double> LogRead { get; } = [];
    }

    private static Samples Measure(Workload workload, int rounds)
    {
        var samples = new Samples();
        var buffer = new byte[Workload.ReadChunkBytes];
        // A warm-up round (JIT, page cache, allocator) that does not count.
        for (var round = -1; round < rounds; round++)
        {
            var directory = Workload.NewDirectory();
            try
            {
                var rawPath = Path.Combine(directory, "raw.bin");
                using var log = PartitionLog.Open(Path.Combine(directory, "log"), Workload.LogConfig);
                var rawFirst = round % 2 == 0;
                double rawAppend, logAppend, rawRead, logRead;
                if (rawFirst)
                {
                    rawAppend = Time(workload.TotalBytes, () => StorageOperations.RawAppend(rawPath, workload));
                    logAppend = Time(workload.TotalBytes, () => StorageOperations.LogAppend(log, workload));
                }
                else
                {
                    logAppend = Time(workload.TotalBytes, () => StorageOperations.LogAppend(log, workload));
                    rawAppend = Time(workload.TotalBytes, () => StorageOperations.RawAppend(rawPath, workload));
                }

                StorageOperations.SettleForRead(rawPath, log);
                // A 256 MiB read from the page cache takes ~30 ms: one scheduler hiccup on a shared
                // machine doubles it, so each round takes the median of 5 interleaved reads per side.
                var rawReads = new List<double>();
                var logReads = new List<double>();
                for (var i = 0; i < 5; i++)
                {
                    rawReads.Add(Time(workload.TotalBytes, () => StorageOperations.RawRead(rawPath, buffer)));
                    logReads.Add(Time(workload.TotalBytes, () => StorageOperations.LogRead(log)));
                }

                rawRead = Median(rawReads);
                logRead = Median(logReads);

                if (round >= 0)
                {
                    samples.RawAppend.Add(rawAppend);
                    samples.LogAppend.Add(logAppend);
                    samples.RawRead.Add(rawRead);
                    samples.LogRead.Add(logRead);
                }
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        return samples;
    }

    /// <summary>MiB/s of one run of <paramref name="operation"/>.</summary>
    private static double Time(long bytes, Func<long> operation)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var watch = Stopwatch.StartNew();
        operation();
        watch.Stop();
        return bytes / watch.Elapsed.TotalSeconds / (1024 * 1024);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Label(int batchBytes) => batchBytes >= 1024 * 1024 ? $"{batchBytes / (1024 * 1024)} MiB" : $"{batchBytes / 1024} KiB";

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
