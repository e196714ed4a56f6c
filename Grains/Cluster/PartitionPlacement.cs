using Orleans.Placement;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Cluster;

/// <summary>Places a partition grain on the silo that owns the partition's files (see <see cref="PartitionPlacementDirector"/>).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("okafka.PartitionPlacementStrategy")]
public sealed class PartitionPlacementStrategy : PlacementStrategy;

/// <summary>Marks a grain keyed "topic/partition" for <see cref="PartitionPlacementStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class PartitionPlacementAttribute : PlacementAttribute
{
    public PartitionPlacementAttribute()
        : base(new PartitionPlacementStrategy())
    {
    }
}
