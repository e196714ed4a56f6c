using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>Value comparison of <see cref="TopicInfo"/> snapshots (the records hold collections, so record equality is by reference).</summary>
internal static class TopicInfoComparer
{
    public static bool SameMetadata(TopicInfo a, TopicInfo b) =>
        a.Name == b.Name
        && a.TopicId == b.TopicId
        && a.IsInternal == b.IsInternal
        && a.Partitions.Count == b.Partitions.Count
        && a.Partitions.Zip(b.Partitions).All(p => SamePartition(p.First, p.Second))
        && a.ConfigOverrides.Count == b.ConfigOverrides.Count
        && a.ConfigOverrides.All(c => b.ConfigOverrides.TryGetValue(c.Key, out var v) && v == c.Value);

    private static bool SamePartition(PartitionInfo a, PartitionInfo b) => PartitionElection.SameState(a, b);
}
