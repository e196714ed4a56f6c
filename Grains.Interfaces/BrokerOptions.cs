using Microsoft.Extensions.Configuration;

namespace Orleans.Kafka;

/// <summary>
/// Broker-wide settings under the configuration section <c>Kafka</c>, keyed by Kafka's own names
/// (appsettings, environment <c>Kafka__num.partitions</c>, or command line <c>--Kafka:num.partitions=3</c>).
/// </summary>
public sealed class BrokerOptions
{
    public const string SectionName = "Kafka";

    /// <summary>This gateway's broker id as clients see it.</summary>
    [ConfigurationKeyName("node.id")]
    public int NodeId { get; set; } = 1;

    [ConfigurationKeyName("cluster.id")]
    public string ClusterId { get; set; } = "orleans-kafka";

    /// <summary>Address the Kafka listener binds to.</summary>
    [ConfigurationKeyName("listener.host")]
    public string ListenerHost { get; set; } = "127.0.0.1";

    [ConfigurationKeyName("listener.port")]
    public int ListenerPort { get; set; } = 9092;

    /// <summary>Host name returned to clients in Metadata; defaults to the listener host.</summary>
    [ConfigurationKeyName("advertised.host")]
    public string? AdvertisedHost { get; set; }

    /// <summary>Port returned to clients in Metadata; defaults to the bound port.</summary>
    [ConfigurationKeyName("advertised.port")]
    public int? AdvertisedPort { get; set; }

    [ConfigurationKeyName("socket.request.max.bytes")]
    public int SocketRequestMaxBytes { get; set; } = 104857600;

    [ConfigurationKeyName("auto.create.topics.enable")]
    public bool AutoCreateTopicsEnable { get; set; } = true;

    [ConfigurationKeyName("num.partitions")]
    public int NumPartitions { get; set; } = 1;

    [ConfigurationKeyName("default.replication.factor")]
    public short DefaultReplicationFactor { get; set; } = 1;

    [ConfigurationKeyName("delete.topic.enable")]
    public bool DeleteTopicEnable { get; set; } = true;

    /// <summary>Root folder of partition logs and (embedded mode) grain state.</summary>
    [ConfigurationKeyName("log.dirs")]
    public string LogDirs { get; set; } = "./data";

    /// <summary>How long the first rebalance of an empty group waits for more members (each new member extends it, up to the rebalance timeout).</summary>
    [ConfigurationKeyName("group.initial.rebalance.delay.ms")]
    public int GroupInitialRebalanceDelayMs { get; set; } = 3000;

    [ConfigurationKeyName("group.min.session.timeout.ms")]
    public int GroupMinSessionTimeoutMs { get; set; } = 6000;

    [ConfigurationKeyName("group.max.session.timeout.ms")]
    public int GroupMaxSessionTimeoutMs { get; set; } = 1800000;

    [ConfigurationKeyName("group.max.size")]
    public int GroupMaxSize { get; set; } = int.MaxValue;

    /// <summary>How long committed offsets of an empty group are kept (counted from when the group became empty).</summary>
    [ConfigurationKeyName("offsets.retention.minutes")]
    public int OffsetsRetentionMinutes { get; set; } = 10080;

    [ConfigurationKeyName("offsets.retention.check.interval.ms")]
    public long OffsetsRetentionCheckIntervalMs { get; set; } = 600000;

    [ConfigurationKeyName("offset.metadata.max.bytes")]
    public int OffsetMetadataMaxBytes { get; set; } = 4096;

    /// <summary>Pause between a partition's compaction passes (compacted topics); the partition's maintenance also asks for a pass.</summary>
    [ConfigurationKeyName("log.cleaner.backoff.ms")]
    public long LogCleanerBackoffMs { get; set; } = 15000;

    /// <summary>KIP-848 consumer groups: a member that does not heartbeat within this time is removed.</summary>
    [ConfigurationKeyName("group.consumer.session.timeout.ms")]
    public int GroupConsumerSessionTimeoutMs { get; set; } = 45000;

    /// <summary>KIP-848 consumer groups: the heartbeat interval the coordinator tells members to use.</summary>
    [ConfigurationKeyName("group.consumer.heartbeat.interval.ms")]
    public int GroupConsumerHeartbeatIntervalMs { get; set; } = 5000;

    /// <summary>A follower that has not caught up with the leader's log end for this long leaves the ISR.</summary>
    [ConfigurationKeyName("replica.lag.time.max.ms")]
    public long ReplicaLagTimeMaxMs { get; set; } = 30000;

    /// <summary>How long a follower's fetch waits at the leader for new data.</summary>
    [ConfigurationKeyName("replica.fetch.wait.max.ms")]
    public int ReplicaFetchWaitMaxMs { get; set; } = 500;

    /// <summary>Bytes a follower asks for per fetch (at least one whole batch is always returned).</summary>
    [ConfigurationKeyName("replica.fetch.max.bytes")]
    public int ReplicaFetchMaxBytes { get; set; } = 1048576;

    /// <summary>Broker default of min.insync.replicas (a topic's own setting wins).</summary>
    [ConfigurationKeyName("min.insync.replicas")]
    public int MinInsyncReplicas { get; set; } = 1;
}
