using Orleans.Concurrency;

namespace Orleans.Kafka.Topics;

/// <summary>
/// The cluster's catalogue of topics (one activation, key <see cref="Key"/>): names, ids, create and delete.
/// Per-topic changes go through the topic's own <see cref="ITopicGrain"/>; the registry keeps its view current.
/// </summary>
[Alias("okafka.ITopicRegistryGrain")]
public interface ITopicRegistryGrain : IGrainWithStringKey
{
    public const string Key = "topics";

    /// <summary>Every live topic, as a consistent snapshot.</summary>
    [AlwaysInterleave, Alias("ListTopics")]
    Task<IReadOnlyList<TopicInfo>> ListTopics();

    [AlwaysInterleave, Alias("GetTopic")]
    Task<TopicInfo?> GetTopic(string name);

    [AlwaysInterleave, Alias("GetTopicById")]
    Task<TopicInfo?> GetTopicById(Guid topicId);

    /// <summary>Creates a topic (or only validates the request): Kafka's CreateTopics semantics and errors.</summary>
    [Alias("CreateTopic")]
    Task<CreateTopicResult> CreateTopic(CreateTopicSpec spec, bool validateOnly);

    /// <summary>Deletes by name, or by id when <paramref name="name"/> is null.</summary>
    [Alias("DeleteTopic")]
    Task<DeleteTopicResult> DeleteTopic(string? name, Guid topicId);

    /// <summary>
    /// Re-runs leader election for every topic against the live silos (membership changed): partitions whose leader is
    /// not live get a new leader from their live in-sync replicas (epoch bumped), dead silos leave ISRs. Idempotent.
    /// </summary>
    [AlwaysInterleave, Alias("ReconcileLeaders")]
    Task ReconcileLeaders();
}

/// <summary>One topic's metadata: partitions, replica assignment, config overrides. Key: the topic name.</summary>
[Alias("okafka.ITopicGrain")]
public interface ITopicGrain : IGrainWithStringKey
{
    [AlwaysInterleave, Alias("GetInfo")]
    Task<TopicInfo?> GetInfo();

    /// <summary>Raises the partition count to <paramref name="totalCount"/> (CreatePartitions).</summary>
    [Alias("CreatePartitions")]
    Task<AdminResult> CreatePartitions(int totalCount, IReadOnlyList<IReadOnlyList<int>>? assignments, bool validateOnly);

    /// <summary>DescribeConfigs for this topic; <paramref name="keys"/> null means all.</summary>
    [AlwaysInterleave, Alias("DescribeConfigs")]
    Task<DescribeConfigsResult> DescribeConfigs(IReadOnlyList<string>? keys, bool includeSynonyms, bool includeDocumentation);

    /// <summary>AlterConfigs: replaces the whole set of overrides.</summary>
    [Alias("ReplaceConfigs")]
    Task<AdminResult> ReplaceConfigs(IReadOnlyDictionary<string, string?> configs, bool validateOnly);

    /// <summary>IncrementalAlterConfigs: set, delete, append, subtract.</summary>
    [Alias("AlterConfigs")]
    Task<AdminResult> AlterConfigs(IReadOnlyList<ConfigAlteration> alterations, bool validateOnly);

    /// <summary>
    /// AlterPartitionReassignments for one partition: <paramref name="targetReplicas"/> (silo ids, preferred leader first)
    /// starts moving its replicas; null cancels a reassignment in progress (NO_REASSIGNMENT_IN_PROGRESS when none).
    /// Kafka's errors: INVALID_REPLICA_ASSIGNMENT (duplicates, unknown or dead silos, empty), UNKNOWN_TOPIC_OR_PARTITION.
    /// </summary>
    [Alias("AlterReassignment")]
    Task<AdminResult> AlterReassignment(int partition, IReadOnlyList<int>? targetReplicas);
}
