namespace Orleans.Kafka.Grains.Groups.Consumer;

/// <summary>A member as a server-side assignor sees it: its subscribed topic ids and the partitions it is currently assigned.</summary>
public sealed record AssignorMember(string MemberId, IReadOnlySet<Guid> SubscribedTopics, IReadOnlySet<TopicIdPartition> Current);

/// <summary>
/// A KIP-848 server-side assignor: from the members (subscriptions and current target assignment) and the topics'
/// partition counts, the new target assignment. Deterministic: the same input gives the same output.
/// </summary>
public interface IPartitionAssignor
{
    /// <summary>The name clients pass as group.remote.assignor ("uniform", "range").</summary>
    string Name { get; }

    IReadOnlyDictionary<string, IReadOnlySet<TopicIdPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<Guid, int> partitionCounts);
}

/// <summary>The assignors the broker offers; the first is the default (Kafka's group.consumer.assignors default: uniform, range).</summary>
public static class PartitionAssignors
{
    public static readonly IReadOnlyList<IPartitionAssignor> All = [new UniformAssignor(), new RangeAssignor()];

    public static IPartitionAssignor Default => All[0];

    public static IPartitionAssignor? Find(string name) => All.FirstOrDefault(a => a.Name == name);
}
