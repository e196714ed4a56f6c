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
        var state = new TopicState
        {
            TopicId = Guid.NewGuid(),
            Partitions = [new PartitionState { Replicas = [1, 2], LeaderEpoch = 3 }],
            Configs = new Dictionary<string, string> { ["cleanup.policy"] = "compact" },
        };

        var copy = Serializer.Deserialize<TopicState>(Serializer.Serialize(state))!;

        Assert.Equal(state.TopicId, copy.TopicId);
        Assert.Equal([1, 2], Assert.Single(copy.Partitions).Replicas);
        Assert.Equal(3, copy.Partitions[0].LeaderEpoch);
        Assert.Equal(state.Configs, copy.Configs);
    }
}
