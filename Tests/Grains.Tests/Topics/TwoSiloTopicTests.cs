using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Grains.Tests.TopicTestHelpers;

namespace Orleans.Kafka.Grains.Tests.Topics;

public sealed class TwoSiloTopicTests(TwoSiloFixture fixture) : IClassFixture<TwoSiloFixture>
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task Replication_factor_two_is_allowed_with_two_live_silos()
    {
        var created = await _grains.CreateOk(Spec(UniqueName("rf2"), partitions: 2, replicationFactor: 2));

        Assert.All(created.Partitions, p =>
        {
            Assert.Equal(2, p.Replicas.Count);
            Assert.Equal(2, p.Replicas.Distinct().Count());
            Assert.Equal(p.Replicas[0], p.Leader);
            Assert.Equal(p.Replicas, p.Isr);
        });
    }

    [Fact]
    public async Task Replication_factor_three_is_rejected_with_two_live_silos()
    {
        var result = await _grains.Registry().CreateTopic(Spec(UniqueName("rf3"), replicationFactor: 3), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidReplicationFactor, result.Error);
        Assert.Equal("Replication factor: 3 larger than available brokers: 2.", result.Message);
    }

    [Fact]
    public async Task Manual_assignment_with_inconsistent_replica_counts_returns_INVALID_REPLICA_ASSIGNMENT()
    {
        var assignments = new Dictionary<int, IReadOnlyList<int>> { [0] = [1, 2], [1] = [2] };

        var result = await _grains.Registry().CreateTopic(Spec(UniqueName("uneven"), assignments: assignments), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidReplicaAssignment, result.Error);
        Assert.Equal(
            "The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).",
            result.Message);
    }

    [Fact]
    public async Task Added_partitions_keep_the_topic_replication_factor()
    {
        var name = UniqueName("grow");
        await _grains.CreateOk(Spec(name, partitions: 1, replicationFactor: 2));

        var wrong = await _grains.Topic(name).CreatePartitions(2, [[1]], false);
        var ok = await _grains.Topic(name).CreatePartitions(3, null, false);

        Assert.Equal(KafkaErrorCode.InvalidReplicaAssignment, wrong.Error);
        Assert.Equal(AdminResult.Ok, ok);
        Assert.All((await _grains.Topic(name).GetInfo())!.Partitions, p => Assert.Equal(2, p.Replicas.Count));
    }
}
