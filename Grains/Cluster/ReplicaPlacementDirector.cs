using Microsoft.Extensions.Logging;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Partitions;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Orleans.Kafka.Grains.Cluster;

/// <summary>
/// Puts follower replica "topic/partition@silo" on the live silo with that silo id, the one whose disk holds that copy of
/// the partition. A replica whose silo is not live is not placed anywhere else (it would be a copy on the wrong disk):
/// the activation fails with <see cref="PartitionUnavailableException"/> and the caller retries later.
/// </summary>
public sealed partial class ReplicaPlacementDirector(IClusterMembershipService membership, ILogger<ReplicaPlacementDirector> logger) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString();
        if (key is null || !ReplicaKey.TryParse(key, out _, out _, out var siloId))
        {
            throw new ArgumentException($"'{key}' is not a replica key (topic/partition@silo).");
        }

        if (SiloIds.Live(membership.CurrentSnapshot).TryGetValue(siloId, out var address) && context.GetCompatibleSilos(target).Contains(address))
        {
            return Task.FromResult(address);
        }

        LogSiloNotLive(logger, key, siloId);
        throw PartitionUnavailableException.For(key, siloId);
    }

    [LoggerMessage(EventId = 3801, Level = LogLevel.Debug, Message = "Replica {Replica} not placed: its silo {SiloId} is not live")]
    private static partial void LogSiloNotLive(ILogger logger, string replica, int siloId);
}

/// <summary>Places a replica grain on the silo its key names (see <see cref="ReplicaPlacementDirector"/>).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("okafka.ReplicaPlacementStrategy")]
public sealed class ReplicaPlacementStrategy : PlacementStrategy;

/// <summary>Marks a grain keyed "topic/partition@silo" for <see cref="ReplicaPlacementStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReplicaPlacementAttribute : PlacementAttribute
{
    public ReplicaPlacementAttribute()
        : base(new ReplicaPlacementStrategy())
    {
    }
}
