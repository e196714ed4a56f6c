using BenchmarkDotNet.Attributes;
using Orleans.Kafka.Storage.Log;

namespace Orleans.Kafka.Benchmarks.Storage;

/// <summary>Append of the same bytes: raw FileStream (baseline) vs. the partition log.</summary>
[Config(typeof(StorageBenchmarkConfig))]
public class AppendBenchmarks
{
    private Workload _workload = null!;
    private string _directory = null!;
    private PartitionLog _log = null!;

    [Params(16 * 1024, 1024 * 1024)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new Workload(BatchBytes, Workload.DefaultTotalBytes);

    [IterationSetup]
    public void OpenFresh()
    {
        _directory = Workload.NewDirectory();
        _log = PartitionLog.Open(Path.Combine(_directory, "log"), Workload.LogConfig);
    }

    [IterationCleanup]
    public void Remove()
    {
        _log.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public long RawFileStreamAppend() => StorageOperations.RawAppend(Path.Combine(_directory, "raw.bin"), _workload);

    [Benchmark]
    public long PartitionLogAppend() => StorageOperations.LogAppend(_log, _workload);
}
