using Microsoft.Extensions.Logging;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Topics;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Orleans.Kafka.Grains.Cluster;

/// <summary>
/// Puts partition "topic/partition" on the live silo whose silo id owns it (the partition's leader in the topic's
/// replica assignment). If that silo is not live the activation fails with <see cref="PartitionUnavailableException"/>
/// rather than landing elsewhere, where it would open an empty log and hand out offsets that collide with the real
/// ones when the owner returns.
/// <para>Silo ids come from membership (<see cref="SiloIds"/>); the owner from the topic's grain. Placement runs only
/// when a partition has no activation (partitions are kept alive), so the lookup is not cached: a cache could
/// only be staler after a topic is deleted and recreated with another assignment.</para>
/// <para>Clusters whose silos carry no silo ids (test clusters without identities) keep the old behaviour: local silo
/// when compatible, else any. So does a key that names no existing partition; its grain answers
/// UNKNOWN_TOPIC_OR_PARTITION and opens no files.</para>
/// </summary>
public sealed partial class PartitionPlacementDirector(IClusterMembershipService membership, IGrainFactory grains, ILogger<PartitionPlacementDirector> logger)
    : IPlacementDirector
{
    private static readonly TimeSpan PromptInterval = TimeSpan.FromSeconds(2);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _prompted = new(StringComparer.Ordinal);

    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        var key = target.GrainIdentity.Key.ToString();
        if (!SiloIds.InUse(membership.CurrentSnapshot) || key is null || !PartitionKey.TryParse(key, out var topic, out var partition))
        {
            return Fallback(context, compatible);
        }

        // The topic grain (the controller) is authoritative and, unlike the registry, not shared by every topic.
        var info = await grains.GetGrain<ITopicGrain>(topic).GetInfo();
        if (info is null || partition < 0 || partition >= info.Partitions.Count)
        {
            return Fallback(context, compatible);
        }

        // Read membership after the lookup: the await may have taken a moment in which a silo joined or left.
        var owner = info.Partitions[partition].Leader;
        if (SiloIds.Live(membership.CurrentSnapshot).TryGetValue(owner, out var address) && compatible.Contains(address))
        {
            return address;
        }

        LogOwnerNotLive(logger, key, owner);

        // Ask the controller to look again: an election that ran while its silo's view of membership lagged (a returning
        // silo not yet seen) is otherwise only retried by the periodic reconcile; client retries now prompt it too, at most
        // once per topic every PromptInterval from this silo, so retry storms do not queue work on the topic grain.
        var now = Environment.TickCount64;
        if (now - _prompted.GetValueOrDefault(topic, long.MinValue / 2) >= (long)PromptInterval.TotalMilliseconds)
        {
            _prompted[topic] = now;
            grains.GetGrain<Topics.ITopicReplication>(topic).Reconcile().Ignore();
        }

        throw PartitionUnavailableException.For(key, owner);
    }

    private static SiloAddress Fallback(IPlacementContext context, SiloAddress[] compatible)
    {
        if (compatible.Contains(context.LocalSilo))
        {
            return context.LocalSilo;
        }

        return compatible.Length > 0
            ? compatible[Random.Shared.Next(compatible.Length)]
            : throw new SiloUnavailableException("No silo can host a partition grain.");
    }

    [LoggerMessage(EventId = 3800, Level = LogLevel.Information, Message = "Partition {Partition} not placed: its owning silo {SiloId} is not live")]
    private static partial void LogOwnerNotLive(ILogger logger, string partition, int siloId);
}
