using Confluent.Kafka;

namespace Orleans.Kafka.Gateway.Tests.Cluster;

/// <summary>Kafka clients bootstrapped with two gateways keep producing and consuming when one of them stops.</summary>
[Collection(ClusterGatewayCollection.Name)]
public sealed class GatewayFailoverTests(ClusterGatewayFixture fixture)
{
    [Fact]
    public async Task Producer_and_consumer_continue_through_the_other_gateway_when_one_stops()
    {
        // Gateway 103 runs beside silo 3, which owns the topic's only partition, so clients send to 103 first.
        var beside = await fixture.StartGatewayAsync(103, 3);
        var standalone = await fixture.StartGatewayAsync(104, null);
        try
        {
            var topic = await fixture.CreateTopicAsync("failover", -1, new Dictionary<int, IReadOnlyList<int>> { [0] = [3] });
            var bootstrap = ClusterGatewayFixture.Address(beside) + "," + ClusterGatewayFixture.Address(standalone);
            await ClusterGatewayFixture.AwaitMetadataAsync(ClusterGatewayFixture.Address(standalone),
                m => m.Topics.Single(t => t.Topic == topic.Name).Partitions.Single().Leader == 103);

            using var producer = new ProducerBuilder<string, string>(new ProducerConfig
            {
                BootstrapServers = bootstrap,
                LingerMs = 0,
                MessageTimeoutMs = 30000,
                SocketTimeoutMs = 10000,
                TopicMetadataRefreshIntervalMs = 1000,
            }).Build();
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(PersistenceStatus.Persisted, (await producer.ProduceAsync(topic.Name, new Message<string, string> { Key = "k", Value = $"before-{i}" })).Status);
            }

            await ClusterGatewayFixture.StopGatewayAsync(beside);
            beside = null;

            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(PersistenceStatus.Persisted, (await producer.ProduceAsync(topic.Name, new Message<string, string> { Key = "k", Value = $"after-{i}" })).Status);
            }

            using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
            {
                BootstrapServers = bootstrap,
                GroupId = "unused-" + Guid.NewGuid().ToString("N"),
                EnableAutoCommit = false,
                SocketTimeoutMs = 10000,
            }).Build();
            consumer.Assign(new TopicPartitionOffset(topic.Name, 0, 0));
            var received = new List<string>();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (received.Count < 10 && DateTime.UtcNow < deadline)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { IsPartitionEOF: false } result)
                {
                    received.Add(result.Message.Value);
                }
            }

            Assert.Equal([.. Enumerable.Range(0, 5).Select(i => $"before-{i}"), .. Enumerable.Range(0, 5).Select(i => $"after-{i}")], received);
        }
        finally
        {
            if (beside is not null)
            {
                await ClusterGatewayFixture.StopGatewayAsync(beside);
            }

            await ClusterGatewayFixture.StopGatewayAsync(standalone);
        }
    }
}
