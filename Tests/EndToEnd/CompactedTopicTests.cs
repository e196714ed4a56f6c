using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Orleans.Kafka.EndToEnd;

/// <summary>A broker whose partitions run a compaction pass every 200 ms (log.cleaner.backoff.ms) instead of Kafka's 15 s.</summary>
public sealed class CompactionBrokerFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private InProcessBroker? _broker;

    public string BootstrapServers => (_broker ?? throw new InvalidOperationException("the broker has not started")).BootstrapServers;

    public async Task InitializeAsync() =>
        _broker = await InProcessBroker.StartAsync(_directory.Path, null, "--Kafka:log.cleaner.backoff.ms=200");

    public async Task DisposeAsync()
    {
        if (_broker is not null) await _broker.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>Topics created with cleanup.policy=compact through Confluent.Kafka: compaction as consumers see it, and the key rule.</summary>
public sealed class CompactedTopicTests(CompactionBrokerFixture fixture) : IClassFixture<CompactionBrokerFixture>
{
    private const int Keys = 10;
    private const int Rounds = 20;
    private static readonly TimeSpan CompactionWait = TimeSpan.FromSeconds(60);

    private static async Task CreateCompactedTopicAsync(string bootstrap, string topic)
    {
        using var admin = KafkaClients.Admin(bootstrap);
        await admin.CreateTopicsAsync(
        [
            new TopicSpecification
            {
                Name = topic,
                NumPartitions = 1,
                ReplicationFactor = 1,
                Configs = new Dictionary<string, string>
                {
                    ["cleanup.policy"] = "compact",
                    ["segment.bytes"] = "1024",
                    ["segment.ms"] = "100",
                    ["min.cleanable.dirty.ratio"] = "0.01",
                },
            },
        ]);
    }

    [Fact]
    public async Task A_consumer_from_the_beginning_eventually_sees_one_value_per_key_in_the_cleaned_part()
    {
        var topic = $"compacted-{Guid.NewGuid():N}";
        await CreateCompactedTopicAsync(fixture.BootstrapServers, topic);
        // Batches stay well under segment.bytes (Kafka refuses a batch larger than a segment).
        var config = KafkaClients.ProducerConfig(fixture.BootstrapServers);
        config.BatchSize = 900;
        var firstOffsetOfRound = new long[Rounds];
        var latest = new Dictionary<string, long>();
        using (var producer = KafkaClients.Producer(config))
        {
            for (var round = 0; round < Rounds; round++)
            {
                var sent = await Task.WhenAll(Enumerable.Range(0, Keys).Select(k => producer.ProduceAsync(topic, new Message<byte[], byte[]>
                {
                    Key = Encoding.UTF8.GetBytes($"key-{k}"),
                    Value = Encoding.UTF8.GetBytes($"value-{k}-round-{round}"),
                })));
                firstOffsetOfRound[round] = sent.Min(r => r.Offset.Value);
                foreach (var result in sent)
                {
                    latest[Encoding.UTF8.GetString(result.Message.Key)] = result.Offset.Value;
                }
            }
        }

        var end = KafkaClients.HighWatermarks(fixture.BootstrapServers, topic, 1)[0];
        Assert.Equal(Keys * Rounds, end);
        // A segment holds at most two rounds (~400-byte batches, 1024-byte segments), so everything below round 17 lies
        // in closed segments, which the cleaner must reduce to one record per key.
        var closedPartEnd = firstOffsetOfRound[Rounds - 3];
        var deadline = DateTime.UtcNow + CompactionWait;
        List<ConsumeResult<byte[], byte[]>> seen;
        while (true)
        {
            seen = (await KafkaClients.ConsumeToAsync(fixture.BootstrapServers, topic, new Dictionary<int, long> { [0] = end }))[0];
            var closedKeys = seen.Where(r => r.Offset.Value < closedPartEnd).Select(r => Encoding.UTF8.GetString(r.Message.Key)).ToList();
            if (closedKeys.Count == closedKeys.Distinct().Count() && seen.Count < Keys * Rounds / 2)
            {
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not compacted within {CompactionWait}: {seen.Count} records read, keys below offset {closedPartEnd}: {string.Join(",", closedKeys)}");
            }

            await Task.Delay(200);
        }

        // Offsets are the ones the producer was given (compaction leaves gaps, never renumbers), and the newest value
        // of every key is still there.
        var lastPerKey = seen.GroupBy(r => Encoding.UTF8.GetString(r.Message.Key)).ToDictionary(g => g.Key, g => g.Last());
        Assert.Equal(Keys, lastPerKey.Count);
        foreach (var (key, record) in lastPerKey)
        {
            Assert.Equal(latest[key], record.Offset.Value);
            Assert.Equal($"{key.Replace("key-", "value-", StringComparison.Ordinal)}-round-{Rounds - 1}", Encoding.UTF8.GetString(record.Message.Value));
        }

        Assert.True(seen.Select(r => r.Offset.Value).SequenceEqual(seen.Select(r => r.Offset.Value).Order()), "offsets increase");
    }

    [Fact]
    public async Task Producing_a_record_without_a_key_to_a_compacted_topic_fails_with_invalid_record()
    {
        var topic = $"compacted-keyless-{Guid.NewGuid():N}";
        await CreateCompactedTopicAsync(fixture.BootstrapServers, topic);
        using var producer = KafkaClients.Producer(KafkaClients.ProducerConfig(fixture.BootstrapServers));

        var refused = await Assert.ThrowsAsync<ProduceException<byte[], byte[]>>(() =>
            producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = null!, Value = "no key"u8.ToArray() }));
        var keyed = await producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = "k"u8.ToArray(), Value = "keyed"u8.ToArray() });

        // Qualified: Orleans.ErrorCode shadows Confluent's inside our namespace.
        Assert.Equal(Confluent.Kafka.ErrorCode.InvalidRecord, refused.Error.Code);
        Assert.Equal(0, keyed.Offset.Value);
    }
}
