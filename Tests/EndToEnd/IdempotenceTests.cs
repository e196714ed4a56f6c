using Confluent.Kafka;
using Xunit.Abstractions;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// An idempotent producer (InitProducerId, sequence numbers) keeps sending while the broker goes away and comes back
/// on the same port and data: every record lands exactly once, in produce order per partition.
/// </summary>
public sealed class IdempotenceTests(ITestOutputHelper output)
{
    private const string Topic = "idempotent";
    private const int Partitions = 3;
    private const int Unbounded = 10_000_000;
    private const int AcknowledgedPerPhase = 20_000;

    [Fact]
    public async Task Idempotent_producer_loses_and_duplicates_nothing_across_a_broker_restart()
    {
        using var dir = new TempDirectory();
        var port = FreePorts.Next();
        var broker = await InProcessBroker.StartAsync(dir.Path, port);
        try
        {
            await KafkaClients.CreateTopicAsync(broker.BootstrapServers, Topic, Partitions);
            await using var producer = new SteadyProducer(IdempotentConfig(broker.BootstrapServers), Topic, Unbounded);
            await Eventually.TrueAsync(() => producer.Acknowledged >= AcknowledgedPerPhase, KafkaClients.Patience,
                () => $"only {producer.Acknowledged} of {producer.Sent} acknowledged");

            // Graceful stop mid-stream: in-flight produce requests are cut off and retried against the new process.
            await broker.DisposeAsync();
            AssertInterruptedMidStream(producer);
            broker = await InProcessBroker.StartAsync(dir.Path, port);

            await FinishAsync(producer, broker.BootstrapServers);
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task Idempotent_producer_loses_and_duplicates_nothing_across_a_broker_kill()
    {
        using var dir = new TempDirectory();
        var port = FreePorts.Next();
        var broker = await BrokerProcess.StartAsync(dir.Path, port);
        try
        {
            await KafkaClients.CreateTopicAsync(broker.BootstrapServers, Topic, Partitions);
            await using var producer = new SteadyProducer(IdempotentConfig(broker.BootstrapServers), Topic, Unbounded);
            await Eventually.TrueAsync(() => producer.Acknowledged >= AcknowledgedPerPhase, KafkaClients.Patience,
                () => $"only {producer.Acknowledged} of {producer.Sent} acknowledged");

            // SIGKILL mid-stream: batches the broker appended but never acknowledged are retried with the same
            // sequence numbers, so the restarted broker must recognise them from the log alone.
            await broker.KillAsync();
            AssertInterruptedMidStream(producer);
            await broker.DisposeAsync();
            broker = await BrokerProcess.StartAsync(dir.Path, port);

            await FinishAsync(producer, broker.BootstrapServers);
        }
        finally
        {
            // The child broker's last log lines, for diagnosing a failure from the test output alone.
            output.WriteLine(BrokerLogTail(broker));
            await broker.DisposeAsync();
        }
    }

    private void AssertInterruptedMidStream(SteadyProducer producer) =>
        output.WriteLine($"broker went away with {producer.Acknowledged} acknowledged, {producer.Sent} sent");

    /// <summary>Keeps producing against the new broker for a while, then stops, flushes and checks the log.</summary>
    private async Task FinishAsync(SteadyProducer producer, string bootstrap)
    {
        var target = producer.Sent + AcknowledgedPerPhase;
        await Eventually.TrueAsync(() => producer.Acknowledged >= target, KafkaClients.Patience,
            () => $"after the restart only {producer.Acknowledged} acknowledged, {producer.Sent} sent");
        await producer.StopSendingAsync();
        Assert.Equal(0, await producer.FlushAsync(KafkaClients.Patience));
        output.WriteLine($"{producer.Sent} sent in all");
        await AssertExactlyOnceInOrderAsync(bootstrap, producer.Reports, producer.Sent);
    }

    private static ProducerConfig IdempotentConfig(string bootstrap)
    {
        var config = KafkaClients.ProducerConfig(bootstrap);
        config.EnableIdempotence = true;
        config.LingerMs = 5;
        config.BatchSize = 64 * 1024;
        return config;
    }

    private static async Task AssertExactlyOnceInOrderAsync(string bootstrap, List<DeliveryReport<byte[], byte[]>> reports, int total)
    {
        var failed = reports.Where(r => r.Error.IsError).Take(3).Select(r => $"{SteadyProducer.Number(r.Message)}: {r.Error}").ToList();
        Assert.True(failed.Count == 0, $"failed deliveries: {string.Join("; ", failed)}");
        Assert.Equal(Enumerable.Range(0, total), reports.Select(r => SteadyProducer.Number(r.Message)).Order());

        // Per partition, produce order is offset order and offsets have no gaps.
        var acknowledged = reports
            .GroupBy(r => r.Partition.Value)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => SteadyProducer.Number(r.Message)).ToList());
        foreach (var (partition, inProduceOrder) in acknowledged)
        {
            Assert.Equal(
                Enumerable.Range(0, inProduceOrder.Count).Select(o => (long)o),
                inProduceOrder.Select(r => r.Offset.Value));
        }

        // The log holds exactly what was acknowledged: nothing lost, no retried batch appended twice.
        var highWatermarks = KafkaClients.HighWatermarks(bootstrap, Topic, Partitions);
        var expectedEnds = Enumerable.Range(0, Partitions).ToDictionary(p => p, p => (long)(acknowledged.GetValueOrDefault(p)?.Count ?? 0));
        Assert.Equal(expectedEnds, highWatermarks);

        var consumed = await KafkaClients.ConsumeToAsync(bootstrap, Topic, highWatermarks);
        foreach (var (partition, inProduceOrder) in acknowledged)
        {
            Assert.Equal(
                inProduceOrder.Select(r => SteadyProducer.Number(r.Message)),
                consumed[partition].Select(r => SteadyProducer.Number(r.Message)));
        }
    }

    private static string BrokerLogTail(BrokerProcess broker) =>
        string.Join('\n', broker.Output.Split('\n').TakeLast(40));
}
