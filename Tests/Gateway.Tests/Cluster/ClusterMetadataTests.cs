using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Orleans.Kafka.Gateway.Tests.Cluster;

/// <summary>Metadata and DescribeCluster across gateways: every live gateway listed, leaders follow co-location.</summary>
[Collection(ClusterGatewayCollection.Name)]
public sealed class ClusterMetadataTests(ClusterGatewayFixture fixture)
{
    [Fact]
    public async Task Metadata_lists_both_gateways_and_names_the_gateway_beside_the_owning_silo_as_leader()
    {
        var topic = await fixture.CreateTopicAsync("colocated", 6);
        var owners = topic.Partitions.ToDictionary(p => p.Index, p => p.Leader);
        Assert.Equal([1, 2, 3], owners.Values.Distinct().Order());

        foreach (var gateway in new[] { fixture.First, fixture.Second })
        {
            var metadata = await ClusterGatewayFixture.AwaitMetadataAsync(ClusterGatewayFixture.Address(gateway), m =>
                m.Brokers.Select(b => b.BrokerId).ToHashSet().IsSupersetOf([ClusterGatewayFixture.GatewayBesideSilo1, ClusterGatewayFixture.GatewayBesideSilo2]));
            var partitions = metadata.Topics.Single(t => t.Topic == topic.Name).Partitions;
            foreach (var partition in partitions)
            {
                switch (owners[partition.PartitionId])
                {
                    case 1:
                        Assert.Equal(ClusterGatewayFixture.GatewayBesideSilo1, partition.Leader);
                        break;
                    case 2:
                        Assert.Equal(ClusterGatewayFixture.GatewayBesideSilo2, partition.Leader);
                        break;
                    default:
                        // Silo 3 has no gateway beside it: whichever gateway answered (librdkafka picks any known
                        // broker for Metadata) names itself.
                        Assert.Contains(partition.Leader, new[] { ClusterGatewayFixture.GatewayBesideSilo1, ClusterGatewayFixture.GatewayBesideSilo2 });
                        break;
                }

                Assert.Equal([partition.Leader], partition.Replicas);
            }
        }
    }

    [Fact]
    public async Task DescribeCluster_lists_every_live_gateway()
    {
        await ClusterGatewayFixture.AwaitMetadataAsync(ClusterGatewayFixture.Address(fixture.First), m => m.Brokers.Count >= 2);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = ClusterGatewayFixture.Address(fixture.First) }).Build();

        var cluster = await admin.DescribeClusterAsync(new DescribeClusterOptions { RequestTimeout = TimeSpan.FromSeconds(10) });

        Assert.Superset(new HashSet<int> { ClusterGatewayFixture.GatewayBesideSilo1, ClusterGatewayFixture.GatewayBesideSilo2 }, cluster.Nodes.Select(n => n.Id).ToHashSet());
        Assert.Equal("cluster-tests", cluster.ClusterId);
    }

    [Fact]
    public async Task A_stopped_gateway_leaves_metadata_and_a_new_one_joins()
    {
        var extra = await fixture.StartGatewayAsync(150, null);
        var first = ClusterGatewayFixture.Address(fixture.First);
        await ClusterGatewayFixture.AwaitMetadataAsync(first, m => m.Brokers.Any(b => b.BrokerId == 150));

        await ClusterGatewayFixture.StopGatewayAsync(extra);

        await ClusterGatewayFixture.AwaitMetadataAsync(first, m => m.Brokers.All(b => b.BrokerId != 150));
    }
}
