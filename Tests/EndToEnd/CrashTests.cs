using Confluent.Kafka;
using Xunit.Abstractions;

namespace Orleans.Kafka.EndToEnd;

/// <summary>The broker as a child process, SIGKILLed under load: what it acknowledged must be there after restart.</summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const string Topic = "crash";
    private const int Partitions = 4;

    [Fact]
    public async Task Every_record_acknowledged_with_acks_1_is_readable_after_sigkill_and_restart()
    {
        using var dir = new TempDirectory();
        var port = FreePorts.Next();
        var broker = await BrokerProcess.StartAsync(dir.Path, port);
        try
        {
            await KafkaClients.CreateTopicAsync(broker.BootstrapServers, Topic, Partitions);
            var config = KafkaClients.ProducerConfig(broker.BootstrapServers);
            config.Acks = Acks.Leader;
            config.LingerMs = 5;
            config.BatchSize = 64 * 1024;
            await using var producer = new SteadyProducer(config, Topic, total: int.MaxValue);

            // Two kills: the second one hits a log that was itself recovered from the first.
            var acknowledgedBeforeKill = 0;
            for (var kill = 1; kill <= 2; kill++)
            {
                var target = acknowledgedBeforeKill + 20_000;
                await Eventually.TrueAsync(() => producer.Acknowledged >= target, KafkaClients.Patience,
                    () => $"only {producer.Acknowledged} of {producer.Sent} acknowledged");
                await broker.KillAsync();
                acknowledgedBeforeKill = producer.Acknowledged;
                output.WriteLine($"kill {kill}: {acknowledgedBeforeKill} acknowledged, {producer.Sent} sent");
                if (kill == 2) await producer.StopSendingAsync();
                await broker.DisposeAsync();

                // The same port and data: the producer reconnects and delivers what it still holds (retries may duplicate).
                broker = await BrokerProcess.StartAsync(dir.Path, port);
            }

            Assert.Equal(0, await producer.FlushAsync(KafkaClients.Patience));

            var acknowledged = producer.Reports.Where(r => !r.Error.IsError).ToList();
            output.WriteLine($"{acknowledged.Count} acknowledged in all, {producer.Sent} sent");
            Assert.True(acknowledged.Count >= acknowledgedBeforeKill);
            var highWatermarks = KafkaClients.HighWatermarks(broker.BootstrapServers, Topic, Partitions);
            var consumed = await KafkaClients.ConsumeToAsync(broker.BootstrapServers, Topic, highWatermarks);
            var byPosition = consumed.Values.SelectMany(records => records)
                .ToDictionary(r => (r.Partition.Value, r.Offset.Value), r => SteadyProducer.Number(r.Message));

            var missing = acknowledged
                .Where(r => !byPosition.TryGetValue((r.Partition.Value, r.Offset.Value), out var number) || number != SteadyProducer.Number(r.Message))
                .Take(5)
                .Select(r => $"record {SteadyProducer.Number(r.Message)} acknowledged at {r.Partition.Value}/{r.Offset.Value}")
                .ToList();
            Assert.True(missing.Count == 0,
                $"{acknowledged.Count} acknowledged ({acknowledgedBeforeKill} before the last kill), high watermarks {KafkaClients.Describe(highWatermarks)}; not readable: {string.Join("; ", missing)}");
        }
        finally
        {
            // The child broker's last log lines, for diagnosing a failure from the test output alone.
            output.WriteLine(BrokerLogTail(broker));
            await broker.DisposeAsync();
        }
    }

    private static string BrokerLogTail(BrokerProcess broker) =>
        string.Join('\n', broker.Output.Split('\n').TakeLast(40));
}
