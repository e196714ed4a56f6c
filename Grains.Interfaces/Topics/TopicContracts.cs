using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Topics;

/// <summary>A topic as clients see it in Metadata: id, partitions with their replicas, and the config overrides.</summary>
[GenerateSerializer, Immutable, Alias("okafka.TopicInfo")]
public sealed record TopicInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] Guid TopicId,
    [property: Id(2)] IReadOnlyList<PartitionInfo> Partitions,
    [property: Id(3)] IReadOnlyDictionary<string, string> ConfigOverrides,
    [property: Id(4)] bool IsInternal = false);

/// <summary>
/// One partition's placement and replication state. Leader, replicas and ISR are silo ids (equal to the broker ids of
/// gateways hosted beside silos). <see cref="Leader"/> is -1 while no in-sync replica is live (the partition is offline).
/// During a reassignment <see cref="Replicas"/> is the union of the old and the target replicas;
/// <see cref="AddingReplicas"/> and <see cref="RemovingReplicas"/> say which are coming and going (empty otherwise).
/// </summary>
[GenerateSerializer, Immutable, Alias("okafka.PartitionInfo")]
public sealed record PartitionInfo(
    [property: Id(0)] int Index,
    [property: Id(1)] int Leader,
    [property: Id(2)] int LeaderEpoch,
    [property: Id(3)] IReadOnlyList<int> Replicas,
    [property: Id(4)] IReadOnlyList<int> Isr,
    [property: Id(5)] IReadOnlyList<int>? AddingReplicas = null,
    [property: Id(6)] IReadOnlyList<int>? RemovingReplicas = null)
{
    public const int NoLeader = -1;

    public IReadOnlyList<int> Adding => AddingReplicas ?? [];

    public IReadOnlyList<int> Removing => RemovingReplicas ?? [];

    public bool IsReassigning => Adding.Count > 0 || Removing.Count > 0;

    public bool IsUnderReplicated => Isr.Count < Replicas.Count;
}

/// <summary>What a CreateTopics entry asks for; -1 means "use the broker default" as in Kafka.</summary>
[GenerateSerializer, Immutable, Alias("okafka.CreateTopicSpec")]
public sealed record CreateTopicSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] int NumPartitions,
    [property: Id(2)] short ReplicationFactor,
    [property: Id(3)] IReadOnlyDictionary<int, IReadOnlyList<int>>? Assignments,
    [property: Id(4)] IReadOnlyDictionary<string, string?> Configs);

/// <summary>The outcome of an admin operation on one resource, in Kafka's terms.</summary>
[GenerateSerializer, Immutable, Alias("okafka.AdminResult")]
public sealed record AdminResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] string? Message = null)
{
    public static readonly AdminResult Ok = new(KafkaErrorCode.None);
    public bool IsOk => Error == KafkaErrorCode.None;
}

[GenerateSerializer, Immutable, Alias("okafka.CreateTopicResult")]
public sealed record CreateTopicResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] string? Message,
    [property: Id(2)] TopicInfo? Topic,
    [property: Id(3)] IReadOnlyList<ConfigEntry>? Configs);

[GenerateSerializer, Immutable, Alias("okafka.DeleteTopicResult")]
public sealed record DeleteTopicResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] string? Message,
    [property: Id(2)] string? Name,
    [property: Id(3)] Guid TopicId);

/// <summary>Kafka's config sources (DescribeConfigs v1+).</summary>
public enum ConfigSource : sbyte
{
    Unknown = 0,
    DynamicTopicConfig = 1,
    DynamicBrokerConfig = 2,
    DynamicDefaultBrokerConfig = 3,
    StaticBrokerConfig = 4,
    DefaultConfig = 5,
    DynamicBrokerLoggerConfig = 6,
    ClientMetricsConfig = 7,
    GroupConfig = 8,
}

/// <summary>Kafka's config value types (DescribeConfigs v3+).</summary>
public enum ConfigType : sbyte
{
    Unknown = 0,
    Boolean = 1,
    String = 2,
    Int = 3,
    Short = 4,
    Long = 5,
    Double = 6,
    List = 7,
    Class = 8,
    Password = 9,
}

[GenerateSerializer, Immutable, Alias("okafka.ConfigSynonym")]
public sealed record ConfigSynonym(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Value,
    [property: Id(2)] ConfigSource Source);

[GenerateSerializer, Immutable, Alias("okafka.ConfigEntry")]
public sealed record ConfigEntry(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Value,
    [property: Id(2)] bool ReadOnly,
    [property: Id(3)] ConfigSource Source,
    [property: Id(4)] bool IsSensitive,
    [property: Id(5)] IReadOnlyList<ConfigSynonym> Synonyms,
    [property: Id(6)] ConfigType Type,
    [property: Id(7)] string? Documentation);

[GenerateSerializer, Immutable, Alias("okafka.DescribeConfigsResult")]
public sealed record DescribeConfigsResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] string? Message,
    [property: Id(2)] IReadOnlyList<ConfigEntry> Entries);

/// <summary>IncrementalAlterConfigs operation types, numbered as on the wire.</summary>
public enum AlterConfigOp : sbyte
{
    Set = 0,
    Delete = 1,
    Append = 2,
    Subtract = 3,
}

[GenerateSerializer, Immutable, Alias("okafka.ConfigAlteration")]
public sealed record ConfigAlteration(
    [property: Id(0)] string Name,
    [property: Id(1)] AlterConfigOp Op,
    [property: Id(2)] string? Value);
