using Confluent.Kafka;

namespace Orleans.Kafka.Perf.Tests;

/// <summary>
/// Runs the real produce and consume paths against librdkafka's built-in mock cluster
/// (<c>test.mock.num.brokers</c>): an in-process Kafka that listens on 127.0.0.1 and lives as long
/// as the client that started it, so the tool's own Confluent.Kafka code is exercised end to end
/// without depending on our broker. The mock has no controller for CreateTopics, so the topic is
/// auto-created by the producer's metadata request instead.
/// </summary>
public sealed class MockClusterTests : IDisposable
{
    private readonly IAdminClient mockHost;
    private readonly string bootstrap;

    public MockClusterTests()
    {
        var config = new AdminClientConfig { BootstrapServers = "unused:9092" };
        config.Set("test.mock.num.brokers", "1");
        mockHost = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        var broker = mockHost.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Single();
        bootstrap = $"{broker.Host}:{broker.Port}";
    }

    public void Dispose() => mockHost.Dispose();

    [Fact]
    public async Task Produce_then_consume_moves_every_record_and_reports_latency()
    {
        const long Records = 20_000;
        const int RecordSize = 100;
        var produceSettings = new ProduceSettings(
            bootstrap, "perf-mock", Records, RecordSize, Acks.All, CompressionType.Lz4,
            Partitions: 3, ReplicationFactor: 1, LingerMs: 5, BatchSize: 1_048_576,
            CreateTopic: false, TimeSpan.FromSeconds(60), ShowProgress: false);

        var produced = await PerfCommands.ProduceAsync(produceSettings, print: false, CancellationToken.None);

        Assert.Null(produced.FirstError);
        Assert.False(produced.TimedOut);
        Assert.Equal(0, produced.Errors);
        Assert.Equal(Records, produced.Throughput.Records);
        Assert.Equal(Records * RecordSize, produced.Throughput.Bytes);
        Assert.Equal(Records, produced.Latency.Count);
        Assert.True(produced.Latency.P50 > 0 && produced.Latency.P50 <= produced.Latency.P99);

        var consumeSettings = new ConsumeSettings(bootstrap, "perf-mock", Records, Group: null, TimeSpan.FromSeconds(60), ShowProgress: false);
        var consumed = await PerfCommands.ConsumeAsync(consumeSettings, print: false, CancellationToken.None);

        Assert.False(consumed.TimedOut);
        Assert.Equal(Records, consumed.Throughput.Records);
        Assert.Equal(Records * RecordSize, consumed.Throughput.Bytes);
        Assert.True(consumed.TimeToFirstRecord > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_run_that_cannot_finish_stops_at_its_timeout_and_says_so()
    {
        // Nothing listens on port 1: no record can be delivered, so only the timeout ends the run.
        var settings = new ProduceSettings(
            "127.0.0.1:1", "perf-nowhere", 1_000, 100, Acks.Leader, CompressionType.None,
            Partitions: 1, ReplicationFactor: 1, LingerMs: 5, BatchSize: 1_048_576,
            CreateTopic: false, TimeSpan.FromSeconds(2), ShowProgress: false);

        var result = await PerfCommands.ProduceAsync(settings, print: false, CancellationToken.None);

        Assert.True(result.TimedOut);
        Assert.Equal(0, result.Throughput.Records);
        Assert.Equal(1_000, result.Errors);
    }

    [Fact]
    public async Task Suite_reports_medians_and_ratios_and_writes_markdown()
    {
        var markdown = Path.Combine(Path.GetTempPath(), $"perf-suite-{Guid.NewGuid():N}.md");
        try
        {
            var settings = new SuiteSettings(
                bootstrap, [new SuiteCell(2_000, 100, Acks.Leader)], Runs: 2, Partitions: 1, ReplicationFactor: 1,
                CompressionType.None, LingerMs: 1, BatchSize: 65_536, TimeSpan.FromSeconds(60), markdown,
                ShowProgress: false, CreateTopics: false);

            var (summaries, exitCode) = await new SuiteRunner(settings).RunAsync(CancellationToken.None);

            Assert.Equal(ExitCodes.Ok, exitCode);
            var summary = Assert.Single(summaries);
            Assert.Equal(2, summary.Runs);
            Assert.True(summary.BaselineMegabytesPerSecond > 0);
            Assert.True(summary.ProduceRatio > 0);
            Assert.True(summary.ConsumeRatio > 0);
            Assert.Contains("produce ÷ baseline", await File.ReadAllTextAsync(markdown));
        }
        finally
        {
            File.Delete(markdown);
        }
    }
}
