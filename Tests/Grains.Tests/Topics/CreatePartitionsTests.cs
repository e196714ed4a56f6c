using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Grains.Tests.TopicTestHelpers;

namespace Orleans.Kafka.Grains.Tests.Topics;

public sealed class CreatePartitionsTests(SingleSiloFixture fixture) : IClassFixture<SingleSiloFixture>
{
    private readonly IGrainFactory _grains = fixture.Grains;

    private async Task<string> NewTopic(int partitions)
    {
        var name = UniqueName("parts");
        await _grains.CreateOk(Spec(name, partitions: partitions));
        return name;
    }

    [Fact]
    public async Task Increasing_the_count_adds_partitions_seen_by_topic_and_registry()
    {
        var name = await NewTopic(1);

        var result = await _grains.Topic(name).CreatePartitions(3, null, validateOnly: false);

        Assert.Equal(AdminResult.Ok, result);
        var held = await _grains.Topic(name).GetInfo();
        Assert.Equal([0, 1, 2], held!.Partitions.Select(p => p.Index));
        Assert.All(held.Partitions, p => Assert.Equal([TopicClusters.NodeId], p.Replicas));
        Assert.Equal(3, (await _grains.Registry().GetTopic(name))!.Partitions.Count);
    }

    [Fact]
    public async Task Same_or_lower_count_returns_INVALID_PARTITIONS()
    {
        var name = await NewTopic(2);

        var same = await _grains.Topic(name).CreatePartitions(2, null, false);
        var lower = await _grains.Topic(name).CreatePartitions(1, null, false);

        Assert.Equal(new AdminResult(KafkaErrorCode.InvalidPartitions, "Topic already has 2 partition(s)."), same);
        Assert.Equal(new AdminResult(KafkaErrorCode.InvalidPartitions, $"The topic {name} currently has 2 partition(s); 1 would not be an increase."), lower);
    }

    [Fact]
    public async Task Given_assignments_are_used_and_validated()
    {
        var name = await NewTopic(1);
        var topic = _grains.Topic(name);

        var tooFew = await topic.CreatePartitions(3, [[1]], false);
        var unknownBroker = await topic.CreatePartitions(2, [[9]], false);
        var wrongFactor = await topic.CreatePartitions(2, [[]], false);
        var ok = await topic.CreatePartitions(3, [[1], [1]], false);

        Assert.Equal(new AdminResult(KafkaErrorCode.InvalidReplicaAssignment,
            "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified."), tooFew);
        Assert.Equal(KafkaErrorCode.InvalidReplicaAssignment, unknownBroker.Error);
        Assert.Equal(KafkaErrorCode.InvalidReplicaAssignment, wrongFactor.Error);
        Assert.Equal(AdminResult.Ok, ok);
        Assert.Equal(3, (await topic.GetInfo())!.Partitions.Count);
    }

    [Fact]
    public async Task Validate_only_adds_nothing()
    {
        var name = await NewTopic(1);

        var result = await _grains.Topic(name).CreatePartitions(5, null, validateOnly: true);

        Assert.Equal(AdminResult.Ok, result);
        Assert.Single((await _grains.Topic(name).GetInfo())!.Partitions);
    }

    [Fact]
    public async Task Unknown_topic_returns_UNKNOWN_TOPIC_OR_PARTITION()
    {
        var result = await _grains.Topic(UniqueName("nowhere")).CreatePartitions(2, null, false);

        Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition, result.Error);
    }

    [Fact]
    public async Task Added_partitions_survive_reactivation()
    {
        var name = await NewTopic(1);
        await _grains.Topic(name).CreatePartitions(4, null, false);

        await fixture.Cluster.DeactivateAsync(_grains.Topic(name));

        Assert.Equal(4, (await _grains.Topic(name).GetInfo())!.Partitions.Count);
    }
}
