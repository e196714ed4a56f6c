using Orleans.Concurrency;
using Orleans.Kafka.Topics;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// Silo-internal registry calls. Topic grains report their committed changes here so the registry's cached
/// <see cref="TopicInfo"/> stays current. Interleaved on purpose: the registry may itself be awaiting the same topic
/// grain (create/delete), and a non-interleaved call would deadlock that pair.
/// </summary>
[Alias("okafka.ITopicRegistrySync")]
public interface ITopicRegistrySync : IGrainWithStringKey
{
    /// <summary>Replaces the cached snapshot if the topic still exists with this id; false when it was deleted meanwhile.</summary>
    [AlwaysInterleave, Alias("TopicChanged")]
    Task<bool> TopicChanged(TopicInfo info);
}

/// <summary>Silo-internal lifecycle of a topic grain, driven only by the registry.</summary>
[Alias("okafka.ITopicLifecycle")]
public interface ITopicLifecycle : IGrainWithStringKey
{
    /// <summary>Stores a freshly created topic, overwriting any leftover state of an earlier topic with this name.</summary>
    [Alias("Initialize")]
    Task Initialize(TopicInfo info);

    /// <summary>Forgets the topic with this id (delete); a later topic with the same name gets a new id.</summary>
    [Alias("Clear")]
    Task Clear(Guid topicId);
}

/// <summary>
/// The replication state of one partition as the topic grain committed it, or why a change was refused.
/// <see cref="Partition"/> is the current committed state in both cases (null when the topic or partition is gone).
/// </summary>
[GenerateSerializer, Immutable, Alias("okafka.PartitionStateResult")]
public sealed record PartitionStateResult(
    [property: Id(0)] KafkaErrorCode Error,
    [property: Id(1)] PartitionInfo? Partition,
    [property: Id(2)] Guid TopicId);

/// <summary>
/// Silo-internal replication control on a topic grain (key: topic name), Kafka's controller role for this topic's
/// partitions. Every change is persisted (grain storage with its etag: optimistic concurrency) before it is answered
/// and then pushed to the registry and to the partition's leader grain.
/// </summary>
[Alias("okafka.ITopicReplication")]
public interface ITopicReplication : IGrainWithStringKey
{
    /// <summary>
    /// A leader grain activating on silo <paramref name="siloId"/> claims partition <paramref name="partition"/>: when the
    /// committed leader is that silo, the leader epoch is bumped and persisted (so every leader incarnation has its own
    /// epoch and fences older ones) and the new state returned; otherwise NOT_LEADER_OR_FOLLOWER with the current state.
    /// </summary>
    [Alias("ClaimLeadership")]
    Task<PartitionStateResult> ClaimLeadership(int partition, int siloId);

    /// <summary>
    /// The leader (silo <paramref name="siloId"/> at <paramref name="leaderEpoch"/>) changes the ISR (Kafka's
    /// AlterPartition). Refused with FENCED_LEADER_EPOCH when the epoch or leader is not the committed one, and
    /// INVALID_REQUEST when the ISR does not contain the leader or names a non-replica. When the new ISR completes a
    /// reassignment, the reassignment finishes in the same write (which may move leadership: the answer says so).
    /// </summary>
    [Alias("AlterIsr")]
    Task<PartitionStateResult> AlterIsr(int partition, int siloId, int leaderEpoch, IReadOnlyList<int> isr);

    /// <summary>
    /// Elects leaders against the live silos: dead silos leave ISRs (never emptying one), a partition whose leader is
    /// not live gets the first live ISR member in replica order (epoch bumped), or -1 when none is live (unless
    /// unclean.leader.election.enable lets any live replica lead). Persists only when something changed.
    /// </summary>
    [Alias("Reconcile")]
    Task Reconcile();
}
