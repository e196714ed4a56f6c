using Microsoft.Extensions.Options;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// Spreads partitions over the live silos. With silo ids (cluster mode and the broker host, see
/// <see cref="SiloIdentityExtensions"/>) the available brokers are the live silos' ids; test clusters whose silos carry
/// none number the live silos node.id … node.id+N-1 as before.
/// <para>Partitions go round-robin over the sorted ids, each topic starting one silo further than the last (a rotating
/// offset, so many small topics do not all lead on the first silo); a partition's further replicas are the next silos in
/// the ring, so they are distinct.</para>
/// </summary>
public sealed class LocalReplicaPlacement(IClusterMembershipService membership, IOptions<BrokerOptions> options) : IReplicaPlacement
{
    // Placements are made by the topic registry grain one at a time; Interlocked keeps it safe anywhere else too.
    private int _nextStart = -1;

    public IReadOnlyList<int> AvailableBrokers()
    {
        var snapshot = membership.CurrentSnapshot;
        if (SiloIds.InUse(snapshot))
        {
            var ids = SiloIds.Live(snapshot).Keys.Order().ToArray();
            if (ids.Length > 0)
            {
                return ids;
            }
        }

        var live = snapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
        var first = options.Value.NodeId;
        return Enumerable.Range(first, Math.Max(live, 1)).ToArray();
    }

    public IReadOnlyList<int[]> Place(int firstPartition, int count, int replicationFactor, IReadOnlyList<int> brokers)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, brokers.Count);
        var start = (int)((uint)Interlocked.Increment(ref _nextStart) % (uint)brokers.Count);
        var placements = new int[count][];
        for (var i = 0; i < count; i++)
        {
            var replicas = new int[replicationFactor];
            for (var r = 0; r < replicationFactor; r++)
            {
                replicas[r] = brokers[(start + firstPartition + i + r) % brokers.Count];
            }

            placements[i] = replicas;
        }

        return placements;
    }
}
