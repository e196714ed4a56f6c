using Microsoft.Extensions.Options;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Gateway.Hosting;

namespace Orleans.Kafka.Gateway.Tests.Replication;

/// <summary>
/// How a gateway names a replica's broker in Metadata and DescribeTopicPartitions (<see cref="GatewayDirectory.BrokerFor"/>).
/// A dead silo keeps its own id, as Kafka names an offline broker's replica: the replica list keeps its length, so
/// ISR smaller than replicas shows the partition as under-replicated (what <c>kafka-topics --under-replicated-partitions</c>
/// looks for) instead of the dead replica collapsing into the fallback broker.
/// </summary>
public sealed class OfflineReplicaNamingTests
{
    [Fact]
    public void A_dead_silo_is_named_by_its_own_id_not_the_fallback()
    {
        var directory = View(live: [1, 3], gateways: [1, 3]);

        Assert.Equal(2, directory.BrokerFor(2, fallback: 1));
        Assert.Equal([1, 2, 3], new[] { 1, 2, 3 }.Select(r => directory.BrokerFor(r, fallback: 1)).Distinct());
    }

    [Fact]
    public void A_live_silo_names_the_gateway_beside_it_and_one_without_a_gateway_the_fallback()
    {
        var directory = View(live: [1, 2, 3], gateways: [1, 3]);

        Assert.Equal(3, directory.BrokerFor(3, fallback: 1));
        Assert.Equal(1, directory.BrokerFor(2, fallback: 1));
    }

    /// <summary>Gateway 1 beside silo 1, viewing <paramref name="gateways"/> (node id = silo id) and the live silos.</summary>
    private static GatewayDirectory View(int[] live, int[] gateways)
    {
        var options = Options.Create(new BrokerOptions { NodeId = 1, ClusterId = "offline-replicas", ListenerHost = "127.0.0.1" });
        var directory = new GatewayDirectory(new BrokerEndpoint(options));
        directory.Update(new ClusterView([.. gateways.Select(g => new GatewayRegistration(g, "127.0.0.1", 9090 + g, g))], live));
        return directory;
    }
}

/// <summary>Which gateway Metadata names leader of a silo's partitions (<see cref="GatewayDirectory.LeaderFor"/>).</summary>
public sealed class LeaderNamingTests
{
    [Fact]
    public void Every_standalone_gateway_names_the_same_leader_for_a_silo_without_a_gateway_of_its_own()
    {
        GatewayRegistration[] gateways = [new(101, "127.0.0.1", 9101, null), new(102, "127.0.0.1", 9102, null)];
        var a = Directory(101, gateways, live: [1, 2, 3]);
        var b = Directory(102, gateways, live: [1, 2, 3]);

        var fromA = new[] { 1, 2, 3 }.Select(a.LeaderFor).ToArray();
        var fromB = new[] { 1, 2, 3 }.Select(b.LeaderFor).ToArray();

        Assert.Equal(fromA, fromB);
        Assert.Equal([101, 102], fromA.Distinct().Order()); // the silos' partitions are spread over both gateways
    }

    [Fact]
    public void A_silo_with_a_gateway_beside_it_is_led_through_that_gateway_and_a_dead_silo_has_no_leader()
    {
        GatewayRegistration[] gateways = [new(101, "127.0.0.1", 9101, null), new(1, "127.0.0.1", 9001, 1)];
        var directory = Directory(101, gateways, live: [1, 3]);

        Assert.Equal(1, directory.LeaderFor(1));
        Assert.Equal(-1, directory.LeaderFor(2));
        Assert.Equal(-1, directory.LeaderFor(-1));
    }

    private static GatewayDirectory Directory(int nodeId, GatewayRegistration[] gateways, int[] live)
    {
        var options = Options.Create(new BrokerOptions { NodeId = nodeId, ClusterId = "leader-naming", ListenerHost = "127.0.0.1" });
        var directory = new GatewayDirectory(new BrokerEndpoint(options));
        directory.Update(new ClusterView(gateways, live));
        return directory;
    }
}
