namespace Orleans.Kafka.Grains.Groups.Consumer;

/// <summary>One partition named by topic id, as KIP-848 assignments name them.</summary>
public readonly record struct TopicIdPartition(Guid TopicId, int Partition);

/// <summary>A topic as the assignors see it: id, name (for regex matching and describe) and partition count.</summary>
public sealed record AssignableTopic(Guid TopicId, string Name, int PartitionCount);

/// <summary>Helpers over partition sets (sets of <see cref="TopicIdPartition"/>).</summary>
public static class PartitionSets
{
    public static readonly IReadOnlySet<TopicIdPartition> Empty = new HashSet<TopicIdPartition>();

    /// <summary>Groups a set by topic with ascending partitions, topics in id order (a stable wire order).</summary>
    public static IReadOnlyList<(Guid TopicId, IReadOnlyList<int> Partitions)> ByTopic(IEnumerable<TopicIdPartition> partitions) =>
        partitions
            .GroupBy(p => p.TopicId)
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, (IReadOnlyList<int>)g.Select(p => p.Partition).Order().ToList()))
            .ToList();

    public static HashSet<TopicIdPartition> From(IEnumerable<(Guid TopicId, IEnumerable<int> Partitions)> topics) =>
        topics.SelectMany(t => t.Partitions.Select(p => new TopicIdPartition(t.TopicId, p))).ToHashSet();
}
