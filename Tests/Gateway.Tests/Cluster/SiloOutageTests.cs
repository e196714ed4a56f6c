using Confluent.Kafka;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.Cluster;

/// <summary>A silo going down and coming back, as Kafka clients see it through a gateway.</summary>
[Collection(ClusterGatewayCollection.Name)]
public sealed class SiloOutageTests(ClusterGatewayFixture fixture)
{
    [Fact]
    public async Task A_down_silos_partition_has_no_leader_and_is_refused_until_the_silo_returns_with_its_data()
    {
        var topic = await fixture.CreateTopicAsync("outage", -1, new Dictionary<int, IReadOnlyList<int>> { [0] = [3] });
        var gateway = ClusterGatewayFixture.Address(fixture.First);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = gateway, LingerMs = 0, MessageTimeoutMs = 20000 }).Build())
        {
            for (var i = 0; i < 3; i++)
            {
                await producer.ProduceAsync(topic.Name, new Message<string, string> { Key = "k", Value = $"v{i}" });
            }
        }

        var logDirs = ClusterGatewayFixture.LogDirsOf(fixture.SiloOf(3));
        await fixture.StopSiloAsync(3);

        var down = await ClusterGatewayFixture.AwaitMetadataAsync(gateway, m => m.Topics.Single(t => t.Topic == topic.Name).Partitions.Single().Leader == -1);
        var partition = down.Topics.Single(t => t.Topic == topic.Name);
        Assert.Equal(Confluent.Kafka.ErrorCode.LeaderNotAvailable, partition.Partitions.Single().Error.Code);
        await using (var client = await KafkaWireClient.ConnectAsync(GatewayFixture.BoundPort(fixture.First)))
        {
            var request = new ListOffsetsRequest
            {
                ReplicaId = -1,
                Topics = [new ListOffsetsRequest.ListOffsetsTopic { Name = topic.Name, Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = -1 }] }],
            };
            ApiMessageTypes.TryGet((short)ApiKey.ListOffsets, out var info);
            await client.SendAsync(request, 7, 1);
            var (_, response) = await client.ReceiveAsync<ListOffsetsResponse>(7, info!.ResponseHeaderVersion(7));
            Assert.Equal((short)KafkaErrorCode.NotLeaderOrFollower, response.Topics.Single().Partitions.Single().ErrorCode);
        }

        await fixture.StartSiloAgainAsync(3, logDirs);

        await ClusterGatewayFixture.AwaitMetadataAsync(gateway, m => m.Topics.Single(t => t.Topic == topic.Name).Partitions.Single().Leader >= 0);
        var received = ClusterGatewayFixture.ReadValues(gateway, topic.Name, 0, 3);

        Assert.Equal(["v0", "v1", "v2"], received);
    }
}
