using BenchmarkDotNet.Attributes;
using Orleans.Kafka.Storage.Log;

namespace Orleans.Kafka.Benchmarks.Storage;

/// <summary>Sequential read of the same bytes (page cache warm on both sides): raw FileStream (baseline) vs. PartitionLog.Read.</summary>
[Config(typeof(StorageReadBenchmarkConfig))]
public class ReadBenchmarks
{
    private readonly byte[] _buffer = new byte[Workload.ReadChunkBytes];
    private Workload _workload = null!;
    private string _directory = null!;
    private string _rawPath = null!;
    private PartitionLog _log = null!;

    [Params(16 * 1024, 1024 * 1024)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _workload = new Workload(BatchBytes, Workload.DefaultTotalBytes);
        _directory = Workload.NewDirectory();
        _rawPath = Path.Combine(_directory, "raw.bin");
        StorageOperations.RawAppend(_rawPath, _workload);
        _log = PartitionLog.Open(Path.Combine(_directory, "log"), Workload.LogConfig);
        StorageOperations.LogAppend(_log, _workload);
        StorageOperations.SettleForRead(_rawPath, _log);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public long RawFileStreamRead() => StorageOperations.RawRead(_rawPath, _buffer);

    [Benchmark]
    public long PartitionLogRead() => StorageOperations.LogRead(_log);
}
