using Confluent.Kafka;

namespace Orleans.Kafka.Perf;

/// <summary>What <c>perf produce</c> does, parsed from the command line.</summary>
internal sealed record ProduceSettings(
    string Bootstrap,
    string Topic,
    long Records,
    int RecordSize,
    Acks Acks,
    CompressionType Compression,
    int Partitions,
    short ReplicationFactor,
    double LingerMs,
    int BatchSize,
    bool CreateTopic,
    TimeSpan Timeout,
    bool ShowProgress);

/// <summary>What <c>perf consume</c> does. A null group means: assign every partition directly.</summary>
internal sealed record ConsumeSettings(
    string Bootstrap,
    string Topic,
    long Records,
    string? Group,
    TimeSpan Timeout,
    bool ShowProgress);

/// <summary>What <c>perf baseline</c> pumps: records × record size bytes in chunks of chunk size.</summary>
internal sealed record BaselineSettings(long Records, int RecordSize, int ChunkSize, TimeSpan Timeout)
{
    public long TotalBytes => Records * RecordSize;
}

/// <summary>One cell of the suite's matrix.</summary>
internal sealed record SuiteCell(long Records, int RecordSize, Acks Acks);

/// <summary>What <c>perf suite</c> runs.</summary>
internal sealed record SuiteSettings(
    string Bootstrap,
    IReadOnlyList<SuiteCell> Cells,
    int Runs,
    int Partitions,
    short ReplicationFactor,
    CompressionType Compression,
    double LingerMs,
    int BatchSize,
    TimeSpan Timeout,
    string? Markdown,
    bool ShowProgress,
    bool CreateTopics = true)
{
    /// <summary>The matrix: 1,000,000 × 100 B and 200,000 × 1 KiB, each with acks=1 and acks=all.</summary>
    public static IReadOnlyList<SuiteCell> DefaultCells { get; } =
    [
        new(1_000_000, 100, Acks.Leader),
        new(1_000_000, 100, Acks.All),
        new(200_000, 1024, Acks.Leader),
        new(200_000, 1024, Acks.All),
    ];
}
