namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// Decides which silos may hold replicas and where a new partition's replicas go. Replica lists hold silo ids (the
/// leader, first, owns the partition's files); gateways translate them to broker ids for clients.
/// </summary>
public interface IReplicaPlacement
{
    /// <summary>Silo ids that can hold replicas right now (the replication factor is bounded by their count).</summary>
    IReadOnlyList<int> AvailableBrokers();

    /// <summary>Replica lists (preferred leader first) for <paramref name="count"/> new partitions starting at <paramref name="firstPartition"/>.</summary>
    IReadOnlyList<int[]> Place(int firstPartition, int count, int replicationFactor, IReadOnlyList<int> brokers);
}
