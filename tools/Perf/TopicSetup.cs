using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Orleans.Kafka.Perf;

/// <summary>Topic creation and partition lookup through the Kafka admin client.</summary>
internal static class TopicSetup
{
    private static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Creates the topic; an existing topic is fine (its partition count is then whatever it already has).</summary>
    public static async Task CreateAsync(string bootstrap, string topic, int partitions, short replicationFactor, TimeSpan runTimeout)
    {
        var requestTimeout = RequestTimeout(runTimeout);
        using var admin = Build(bootstrap);
        try
        {
            await admin.CreateTopicsAsync(
                [new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = replicationFactor }],
                new CreateTopicsOptions { RequestTimeout = requestTimeout, OperationTimeout = requestTimeout });
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // TOPIC_ALREADY_EXISTS: a rerun against the same topic is expected, not an error.
        }
    }

    /// <summary>Set-up requests get the run's timeout too, capped: a broker that takes longer to create a topic is broken.</summary>
    private static TimeSpan RequestTimeout(TimeSpan runTimeout) => runTimeout < MaxRequestTimeout ? runTimeout : MaxRequestTimeout;

    /// <summary>An admin client whose log lines stay quiet: failures surface as exceptions with their Kafka error.</summary>
    private static IAdminClient Build(string bootstrap) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap })
            .SetLogHandler((_, _) => { })
            .Build();

    /// <summary>The topic's partitions, from a metadata request.</summary>
    public static IReadOnlyList<TopicPartition> Partitions(string bootstrap, string topic, TimeSpan runTimeout)
    {
        using var admin = Build(bootstrap);
        var metadata = admin.GetMetadata(topic, RequestTimeout(runTimeout));
        var topicMetadata = metadata.Topics.SingleOrDefault(t => t.Topic == topic)
            ?? throw new PerfSetupException($"Metadata has no entry for topic '{topic}'.");
        if (topicMetadata.Error.IsError)
        {
            throw new PerfSetupException($"Metadata for topic '{topic}' failed: {topicMetadata.Error.Code} ({topicMetadata.Error.Reason}).");
        }

        return [.. topicMetadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).OrderBy(p => p.Partition.Value)];
    }
}

/// <summary>The broker could not give a run what it needs to start (topic, partitions).</summary>
internal sealed class PerfSetupException(string message) : Exception(message);
