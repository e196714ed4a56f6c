namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// Decides which brokers may hold replicas and where a new partition's replicas go.
/// A later release maps partitions onto several silos; swapping this service is the seam for that.
/// </summary>
public interface IReplicaPlacement
{
    /// <summary>Broker ids that can hold replicas right now (the replication factor is bounded by their count).</summary>
    IReadOnlyList<int> AvailableBrokers();

    /// <summary>Replica lists (preferred leader first) for <paramref name="count"/> new partitions starting at <paramref name="firstPartition"/>.</summary>
    IReadOnlyList<int[]> Place(int firstPartition, int count, int replicationFactor, IReadOnlyList<int> brokers);
}
