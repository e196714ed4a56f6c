using Microsoft.Extensions.DependencyInjection;
using Orleans.Kafka.Grains.Topics;
using Orleans.Kafka.Topics;
using Orleans.Storage;

namespace Orleans.Kafka.Grains.Tests.Topics;

/// <summary>Grain storage providers serialize state with the silo's <see cref="IGrainStorageSerializer"/> (JSON by default).</summary>
public sealed class TopicStateSerializationTests(SingleSiloFixture fixture) : IClassFixture<SingleSiloFixture>
{
    private IGrainStorageSerializer Serializer =>
        fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainStorageSerializer>();

    [Fact]
    public void Registry_state_round_trips_through_the_grain_storage_serializer()
    {
        var topic = new TopicInfo("t", Guid.NewGuid(), [new PartitionInfo(0, 1, 0, [1, 2], [1, 2])],
            new Dictionary<string, string> { ["retention.ms"] = "5" });
        var state = new TopicRegistryState { Topics = [RegistryEntry.From(topic)] };

        var copy = Serializer.Deserialize<TopicRegistryState>(Serializer.Serialize(state))!;

        var back = Assert.Single(copy.Topics).ToInfo();
        Assert.Equal((topic.Name, topic.TopicId), (back.Name, back.TopicId));
        Assert.Equal([1, 2], Assert.Single(back.Partitions).Replicas);
        Assert.Equal(topic.ConfigOverrides, back.ConfigOverrides);
    }

    [Fact]
    public void Topic_state_round_trips_through_the_grain_storage_serializer()
    {
        var info = new TopicInfo("t", Guid.NewGuid(),
            [new PartitionInfo(0, 1, 3, [1, 2], [1, 2]), new PartitionInfo(1, 2, 0, [2, 1], [2, 1])],
            new Dictionary<string, string> { ["cleanup.policy"] = "compact" });
        var state = TopicState.From(info);

        var copy = Serializer.Deserialize<TopicState>(Serializer.Serialize(state))!.ToInfo("t");

        Assert.Equal(info.TopicId, copy.TopicId);
        Assert.Equal(["1:2", "2:1"], copy.Partitions.Select(p => string.Join(":", p.Replicas)));
        Assert.Equal([3, 0], copy.Partitions.Select(p => p.LeaderEpoch));
        Assert.Equal([1, 2], copy.Partitions.Select(p => p.Leader));
        Assert.Equal(info.ConfigOverrides, copy.ConfigOverrides);
    }

    [Fact]
    public void Partitions_are_stored_in_kafka_replica_assignment_notation()
    {
        var state = TopicState.From(new TopicInfo("t", Guid.NewGuid(),
            [new PartitionInfo(1, 2, 0, [2, 1], [2, 1]), new PartitionInfo(0, 1, 0, [1, 2], [1, 2])], new Dictionary<string, string>()));

        var grown = state.WithPartitions([[1, 2]]);

        Assert.Equal("1:2,2:1", state.Replicas);
        Assert.Equal("0,0", state.LeaderEpochs);
        Assert.Equal("1:2,2:1,1:2", grown.Replicas);
        Assert.Equal("0,0,0", grown.LeaderEpochs);
    }

    [Theory]
    [InlineData("1:x", "0")]
    [InlineData("1,,2", "0,0,0")]
    [InlineData("1:2", "0,0")]
    public void Unreadable_stored_partitions_fail_loudly(string replicas, string epochs)
    {
        var state = new TopicState { TopicId = Guid.NewGuid(), Replicas = replicas, LeaderEpochs = epochs };

        Assert.Throws<InvalidDataException>(() => state.ToInfo("t"));
    }

    [Fact]
    public void A_registry_entry_for_a_four_partition_topic_stays_small_in_json()
    {
        var topics = Enumerable.Range(0, 100).Select(i => RegistryEntry.From(new TopicInfo($"topic-{i}", Guid.NewGuid(),
            [.. Enumerable.Range(0, 4).Select(p => new PartitionInfo(p, 1, 0, [1], [1]))], new Dictionary<string, string>()))).ToList();

        var bytes = Serializer.Serialize(new TopicRegistryState { Topics = topics }).ToMemory().Length;

        Assert.True(bytes / 100 < 600, $"{bytes / 100} bytes per topic");
    }
}
