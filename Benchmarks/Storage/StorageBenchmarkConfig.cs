using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Orleans.Kafka.Benchmarks.Storage;

/// <summary>
/// A short job (BenchmarkDotNet's ShortRun: 1 launch, 3 warm-ups; here 5 measured iterations
/// of one 256 MiB operation each, so the median is of 5), plus throughput and allocations.
/// A full default run takes far too long on a 2-core shared machine.
/// </summary>
public class StorageBenchmarkConfig : ManualConfig
{
    public StorageBenchmarkConfig()
        : this(5)
    {
    }

    protected StorageBenchmarkConfig(int iterations)
    {
        AddJob(Job.ShortRun.WithIterationCount(iterations).WithInvocationCount(1).WithUnrollFactor(1).WithId($"Short{iterations}"));
        AddColumn(new ThroughputColumn(), StatisticColumn.Median);
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}

/// <summary>
/// Reads of 256 MiB from the page cache take ~30 ms, short enough that one scheduler hiccup on a
/// loaded 2-core machine doubles an iteration: 15 iterations give a steadier median.
/// </summary>
public sealed class StorageReadBenchmarkConfig : StorageBenchmarkConfig
{
    public StorageReadBenchmarkConfig()
        : base(15)
    {
    }
}

/// <summary>MiB/s of the operation from its median time (bytes per op from <see cref="Workload"/>).</summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);

    public string ColumnName => "MiB/s (median)";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Bytes moved per second, from the median time of one operation";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null || benchmarkCase.Parameters["BatchBytes"] is not int batchBytes)
        {
            return "-";
        }

        var bytes = new Workload(batchBytes, Workload.DefaultTotalBytes).TotalBytes;
        var mibPerSecond = bytes / (stats.Median / 1e9) / (1024 * 1024);
        return mibPerSecond.ToString("F0", System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
