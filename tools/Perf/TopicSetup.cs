using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Orleans.Kafka.Perf;

/// <summary>Topic creation and partition lookup through the Kafka admin client.</summary>
internal static class TopicSetup
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Creates the topic; an existing topic is fine (its partition count is then whatever it already has).</summary>
    public static async Task CreateAsync(string bootstrap, string topic, int partitions, short replicationFactor)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        try
        {
            await admin.CreateTopicsAsync(
                [new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = replicationFactor }],
                new CreateTopicsOptions { RequestTimeout = RequestTimeout, OperationTimeout = RequestTimeout });
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // TOPIC_ALREADY_EXISTS: a rerun against the same topic is expected, not an error.
        }
    }

    /// <summary>The topic's partitions, from a metadata request.</summary>
    public static IReadOnlyList<TopicPartition> Partitions(string bootstrap, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var metadata = admin.GetMetadata(topic, RequestTimeout);
        var topicMetadata = metadata.Topics.SingleOrDefault(t => t.Topic == topic)
            ?? throw new InvalidOperationException($"Metadata has no entry for topic '{topic}'.");
        if (topicMetadata.Error.IsError)
        {
            throw new InvalidOperationException($"Metadata for topic '{topic}' failed: {topicMetadata.Error.Code} ({topicMetadata.Error.Reason}).");
        }

        return [.. topicMetadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).OrderBy(p => p.Partition.Value)];
    }
}
