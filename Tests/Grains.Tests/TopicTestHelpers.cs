using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests;

internal static class TopicTestHelpers
{
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static CreateTopicSpec Spec(
        string name,
        int partitions = -1,
        short replicationFactor = -1,
        IReadOnlyDictionary<int, IReadOnlyList<int>>? assignments = null,
        IReadOnlyDictionary<string, string?>? configs = null) =>
        new(name, partitions, replicationFactor, assignments, configs ?? new Dictionary<string, string?>());

    public static ITopicRegistryGrain Registry(this IGrainFactory grains) =>
        grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key);

    public static ITopicGrain Topic(this IGrainFactory grains, string name) => grains.GetGrain<ITopicGrain>(name);

    public static async Task<TopicInfo> CreateOk(this IGrainFactory grains, CreateTopicSpec spec)
    {
        var result = await grains.Registry().CreateTopic(spec, validateOnly: false);
        Assert.True(result.Error == Protocol.KafkaErrorCode.None, $"create {spec.Name}: {result.Error} {result.Message}");
        return result.Topic!;
    }
}
