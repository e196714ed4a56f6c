using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Orleans.Kafka.EndToEnd;

/// <summary>Confluent.Kafka clients configured the way the end-to-end tests use them, plus the consume loop they share.</summary>
internal static class KafkaClients
{
    /// <summary>Upper bound for any single wait on the broker; generous because CI shares two cores.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    public static IAdminClient Admin(string bootstrap) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap, SocketTimeoutMs = 30000 }).Build();

    public static async Task CreateTopicAsync(string bootstrap, string topic, int partitions)
    {
        using var admin = Admin(bootstrap);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    public static ProducerConfig ProducerConfig(string bootstrap) => new()
    {
        BootstrapServers = bootstrap,
        Acks = Acks.All,
        LingerMs = 10,
        BatchSize = 1 << 20,
        QueueBufferingMaxMessages = 1_000_000,
        QueueBufferingMaxKbytes = 1 << 20,
        SocketNagleDisable = true,
        MessageTimeoutMs = (int)Patience.TotalMilliseconds,
    };

    public static IProducer<byte[], byte[]> Producer(ProducerConfig config) =>
        new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();

    public static ConsumerConfig ConsumerConfig(string bootstrap) => new()
    {
        BootstrapServers = bootstrap,
        // Required by the configuration, unused: the tests assign partitions explicitly (no group coordination).
        GroupId = "e2e-unused",
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        SocketTimeoutMs = 30000,
    };

    public static IConsumer<byte[], byte[]> Consumer(ConsumerConfig config) =>
        new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();

    /// <summary>
    /// Reads every partition from its beginning until it has reached the given end offset (exclusive),
    /// and returns the records per partition in the order the consumer delivered them.
    /// </summary>
    public static Task<Dictionary<int, List<ConsumeResult<byte[], byte[]>>>> ConsumeToAsync(
        string bootstrap, string topic, IReadOnlyDictionary<int, long> endOffsets) => Task.Run(() =>
    {
        var records = endOffsets.Keys.ToDictionary(p => p, _ => new List<ConsumeResult<byte[], byte[]>>());
        var next = endOffsets.Keys.ToDictionary(p => p, _ => 0L);
        using var consumer = Consumer(ConsumerConfig(bootstrap));
        consumer.Assign(endOffsets.Keys.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var deadline = DateTime.UtcNow + Patience;
        while (next.Any(kv => kv.Value < endOffsets[kv.Key]))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"consumed up to {Describe(next)}, expected {Describe(endOffsets)}");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF) continue;
            records[result.Partition.Value].Add(result);
            next[result.Partition.Value] = result.Offset.Value + 1;
        }

        consumer.Close();
        return records;
    });

    /// <summary>High watermark of every partition, as the broker reports it now.</summary>
    public static Dictionary<int, long> HighWatermarks(string bootstrap, string topic, int partitions)
    {
        using var consumer = Consumer(ConsumerConfig(bootstrap));
        return Enumerable.Range(0, partitions).ToDictionary(
            p => p,
            p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(30)).High.Value);
    }

    public static string Describe<TValue>(IReadOnlyDictionary<int, TValue> perPartition) =>
        string.Join(", ", perPartition.OrderBy(kv => kv.Key).Select(kv => $"p{kv.Key}={kv.Value}"));
}

/// <summary>Awaits a condition with a deadline instead of sleeping a fixed time.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, Func<string> because)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(because());
            await Task.Delay(20);
        }
    }
}
