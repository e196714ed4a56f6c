using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Gateway.Apis;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.Replication;

/// <summary>
/// A partition whose leader silo is not live, as Metadata and DescribeTopicPartitions render it: the handlers run
/// against the real topic grains with a gateway view in which silo 1 (the fixture's only silo, every partition's
/// leader) is down, which is what a gateway sees after its heartbeat learns of the silo's death.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class LeaderlessPartitionTests(GatewayFixture fixture)
{
    private const int DownSilo = GatewayFixture.NodeId;

    [Fact]
    public async Task Metadata_reports_LEADER_NOT_AVAILABLE_with_leader_minus_one_and_the_replica_offline()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "leaderless-md", 1);
        var (endpoint, directory, options) = ViewWithSiloDown();
        var handler = new MetadataHandler(fixture.Cluster.Client, endpoint, directory, options, NullLogger<MetadataHandler>.Instance);

        var response = (MetadataResponse)(await HandleAsync(handler, new MetadataRequest { Topics = [new() { Name = "leaderless-md" }] }, 12))!;

        var partition = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal((short)KafkaErrorCode.LeaderNotAvailable, partition.ErrorCode);
        Assert.Equal(-1, partition.LeaderId);
        Assert.Equal([GatewayFixture.NodeId], partition.ReplicaNodes);
        Assert.Empty(partition.IsrNodes);
        Assert.Equal([GatewayFixture.NodeId], partition.OfflineReplicas);
    }

    [Fact]
    public async Task DescribeTopicPartitions_reports_leader_minus_one_without_an_error_as_Kafka_does()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "leaderless-dtp", 1);
        var (endpoint, directory, _) = ViewWithSiloDown();
        var handler = new DescribeTopicPartitionsHandler(fixture.Cluster.Client, endpoint, directory);

        var response = (DescribeTopicPartitionsResponse)(await HandleAsync(handler, new DescribeTopicPartitionsRequest { Topics = [new() { Name = "leaderless-dtp" }] }, 0))!;

        var partition = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal(0, partition.ErrorCode);
        Assert.Equal(-1, partition.LeaderId);
        Assert.True(partition.LeaderEpoch >= 0);
        Assert.Equal([GatewayFixture.NodeId], partition.ReplicaNodes);
        Assert.Empty(partition.IsrNodes);
        Assert.Equal([GatewayFixture.NodeId], partition.OfflineReplicas);
    }

    /// <summary>This gateway (node 1, standalone) with a cluster view in which only silo 2 is live.</summary>
    private static (BrokerEndpoint Endpoint, GatewayDirectory Directory, IOptions<BrokerOptions> Options) ViewWithSiloDown()
    {
        var options = Options.Create(new BrokerOptions { NodeId = GatewayFixture.NodeId, ClusterId = GatewayFixture.ClusterId, ListenerHost = "127.0.0.1" });
        var endpoint = new BrokerEndpoint(options);
        var directory = new GatewayDirectory(endpoint);
        directory.Update(new ClusterView([], [DownSilo + 1]));
        Assert.False(directory.IsSiloLive(DownSilo));
        return (endpoint, directory, options);
    }

    private static ValueTask<IResponse?> HandleAsync(IKafkaApiHandler handler, Orleans.Kafka.Protocol.IRequest request, short version)
    {
        var header = new RequestHeader { RequestApiKey = (short)request.ApiKey, RequestApiVersion = version, CorrelationId = 1, ClientId = "gateway-tests" };
        return handler.HandleAsync(new KafkaRequestContext("leaderless-test", null, null, header), request, version, CancellationToken.None);
    }
}
