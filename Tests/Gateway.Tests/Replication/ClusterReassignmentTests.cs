using System.Diagnostics;
using Confluent.Kafka;
using Orleans.Kafka.Gateway.Tests.Cluster;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.Replication;

/// <summary>
/// A real reassignment through a gateway over three silos (ids 1-3; gateways 101 beside silo 1, 102 beside silo 2):
/// AlterPartitionReassignments takes silo ids, DescribeTopicPartitions shows the moved replica as the broker beside it.
/// </summary>
[Collection(ClusterGatewayCollection.Name)]
public sealed class ClusterReassignmentTests(ClusterGatewayFixture fixture)
{
    [Fact]
    public async Task A_partition_moved_from_silo_3_to_silo_1_ends_led_by_the_gateway_beside_silo_1_with_nothing_left_in_progress()
    {
        var topic = await fixture.CreateTopicAsync("moved", -1, new Dictionary<int, IReadOnlyList<int>> { [0] = [3] });
        var port = GatewayFixture.BoundPort(fixture.First);
        var bootstrap = ClusterGatewayFixture.Address(fixture.First);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 0, MessageTimeoutMs = 20000 }).Build())
        {
            for (var i = 0; i < 3; i++)
            {
                await producer.ProduceAsync(topic.Name, new Message<string, string> { Key = "k", Value = $"v{i}" });
            }
        }

        var altered = await RequestAsync<AlterPartitionReassignmentsResponse>(port, new AlterPartitionReassignmentsRequest
        {
            TimeoutMs = 10000,
            Topics = [new() { Name = topic.Name, Partitions = [new() { PartitionIndex = 0, Replicas = [1] }] }],
        });
        Assert.Equal(0, altered.ErrorCode);
        var result = Assert.Single(Assert.Single(altered.Responses).Partitions);
        Assert.True(result.ErrorCode == 0, $"{result.ErrorCode} {result.ErrorMessage}");

        // The move finishes once silo 1's copy has caught up and joined the ISR: await it with a deadline.
        var watch = Stopwatch.StartNew();
        DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponsePartition partition;
        ListPartitionReassignmentsResponse listed;
        do
        {
            var described = await RequestAsync<DescribeTopicPartitionsResponse>(port, new DescribeTopicPartitionsRequest { Topics = [new() { Name = topic.Name }] });
            partition = Assert.Single(Assert.Single(described.Topics).Partitions);
            listed = await RequestAsync<ListPartitionReassignmentsResponse>(port, new ListPartitionReassignmentsRequest { Topics = null });
            if (listed.Topics.SingleOrDefault(t => t.Name == topic.Name) is { } ongoing)
            {
                // While in progress: the union of old and new replicas, silo 1 coming, silo 3 going.
                var moving = Assert.Single(ongoing.Partitions);
                Assert.Equal([1, 3], moving.Replicas.Order());
                Assert.Equal([1], moving.AddingReplicas);
                Assert.Equal([3], moving.RemovingReplicas);
            }
        }
        while ((partition.ReplicaNodes is not [ClusterGatewayFixture.GatewayBesideSilo1] || listed.Topics.Any(t => t.Name == topic.Name))
            && watch.Elapsed < TimeSpan.FromSeconds(30) && await Task.Delay(100).ContinueWith(_ => true));

        Assert.Equal([ClusterGatewayFixture.GatewayBesideSilo1], partition.ReplicaNodes);
        Assert.Equal(ClusterGatewayFixture.GatewayBesideSilo1, partition.LeaderId);
        Assert.Equal([ClusterGatewayFixture.GatewayBesideSilo1], partition.IsrNodes);
        Assert.DoesNotContain(listed.Topics, t => t.Name == topic.Name);

        // The records written before the move are read from the new replica.
        var received = ClusterGatewayFixture.ReadValues(bootstrap, topic.Name, 0, 3);

        Assert.Equal(["v0", "v1", "v2"], received);
    }

    private static async Task<TResponse> RequestAsync<TResponse>(int port, Orleans.Kafka.Protocol.IRequest request)
        where TResponse : IResponse, new()
    {
        ApiMessageTypes.TryGet((short)request.ApiKey, out var info);
        await using var client = await KafkaWireClient.ConnectAsync(port);
        await client.SendAsync(request, 0, correlationId: 5);
        var (_, response) = await client.ReceiveAsync<TResponse>(0, info!.ResponseHeaderVersion(0));
        return response;
    }
}
