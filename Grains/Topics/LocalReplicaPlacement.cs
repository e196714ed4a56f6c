using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// Default placement for this release. Every silo is presented to clients as the broker <see cref="BrokerOptions.NodeId"/>
/// (one gateway per silo in embedded mode), so the local broker id leads every partition. Until silos register their own
/// node ids, the other live silos are numbered consecutively after it: with N active silos the available brokers are
/// node.id … node.id+N-1, which bounds the replication factor by the live silo count as Kafka bounds it by live brokers.
/// </summary>
public sealed class LocalReplicaPlacement(IClusterMembershipService membership, IOptions<BrokerOptions> options) : IReplicaPlacement
{
    public IReadOnlyList<int> AvailableBrokers()
    {
        var live = membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
        var first = options.Value.NodeId;
        return Enumerable.Range(first, Math.Max(live, 1)).ToArray();
    }

    public IReadOnlyList<int[]> Place(int firstPartition, int count, int replicationFactor, IReadOnlyList<int> brokers)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, brokers.Count);
        var replicas = brokers.Take(replicationFactor).ToArray();
        var placements = new int[count][];
        for (var i = 0; i < count; i++)
        {
            placements[i] = [.. replicas];
        }

        return placements;
    }
}
