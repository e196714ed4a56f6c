using Confluent.Kafka;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Gateway.Tests.Partitions;

internal static class PartitionTestHelpers
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static async Task<TopicInfo> CreateTopicAsync(this PartitionGatewayFixture fixture, string prefix, int partitions = 1, IReadOnlyDictionary<string, string?>? configs = null)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}";
        var result = await fixture.Grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key)
            .CreateTopic(new CreateTopicSpec(name, partitions, 1, null, configs ?? new Dictionary<string, string?>()), validateOnly: false);
        Assert.True(result.Error == Protocol.KafkaErrorCode.None, $"{result.Error} {result.Message}");
        return result.Topic!;
    }

    public static IProducer<string, string> Producer(this PartitionGatewayFixture fixture, Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = fixture.BootstrapServers,
            LingerMs = 0,
            MessageTimeoutMs = 20000,
            SocketTimeoutMs = 20000,
        };
        configure?.Invoke(config);
        return new ProducerBuilder<string, string>(config).Build();
    }

    public static IConsumer<string, string> Consumer(this PartitionGatewayFixture fixture, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = fixture.BootstrapServers,
            GroupId = "unused-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SocketTimeoutMs = 20000,
        };
        configure?.Invoke(config);
        return new ConsumerBuilder<string, string>(config).Build();
    }

    /// <summary>Consumes from an assigned partition until <paramref name="count"/> records arrived or the deadline passed.</summary>
    public static List<ConsumeResult<string, string>> ConsumeFrom(this IConsumer<string, string> consumer, string topic, int partition, long offset, int count)
    {
        consumer.Assign(new TopicPartitionOffset(topic, partition, offset));
        var results = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + Deadline;
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (result is { IsPartitionEOF: false })
            {
                results.Add(result);
            }
        }

        return results;
    }
}
