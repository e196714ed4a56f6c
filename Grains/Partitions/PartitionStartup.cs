using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Topics;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// Opens every partition when the silo starts, as a Kafka broker loads all its logs: recovery after a crash happens
/// now rather than on a client's first request, and retention keeps running for partitions nobody has touched since the
/// restart. Each partition is opened by activating its grain; a failure is logged and the partition opens on first use.
/// A silo with a silo id opens the partitions it leads and starts the follower copies it holds (other partitions belong to
/// other silos' start-up).
/// </summary>
internal sealed partial class PartitionStartup(IGrainFactory grains, ILogger<PartitionStartup> logger, ISiloIdentity? identity = null)
    : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Partitions opened at once (each open may replay a log tail).</summary>
    private const int Parallelism = 8;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PartitionStartup), ServiceLifecycleStage.Active, OpenAllAsync, _ => Task.CompletedTask);

    private async Task OpenAllAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<TopicInfo> topics;
        try
        {
            topics = await grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key).ListTopics();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The registry's silo died while this one started (its activation moves once the death is declared). Opening
            // early is an optimisation: every partition still opens on first use, so the silo starts regardless.
            LogListFailed(logger, ex);
            return;
        }

        var partitions = topics
            .SelectMany(t => t.Partitions.Where(p => identity is null || p.Replicas.Contains(identity.SiloId) || p.Leader == identity.SiloId)
                .Select(p => (t.Name, p.Index, Follower: identity is not null && p.Leader != identity.SiloId)))
            .ToList();
        await Parallel.ForEachAsync(partitions, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (partition, _) =>
        {
            try
            {
                // A follower copy starts catching up now rather than when its leader next notices it is quiet.
                await (partition.Follower
                    ? grains.GetReplicaGrain(partition.Name, partition.Index, identity!.SiloId).Follow()
                    : grains.GetPartitionGrain(partition.Name, partition.Index).GetOffsets());
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogOpenFailed(logger, ex, partition.Name, partition.Index);
            }
        });
        LogOpened(logger, partitions.Count, topics.Count);
    }

    [LoggerMessage(EventId = 3320, Level = LogLevel.Information, Message = "Opened {Partitions} partition(s) of {Topics} topic(s) at start-up")]
    private static partial void LogOpened(ILogger logger, int partitions, int topics);

    [LoggerMessage(EventId = 3322, Level = LogLevel.Warning, Message = "Could not list topics at start-up; partitions open on first use")]
    private static partial void LogListFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3321, Level = LogLevel.Warning, Message = "Could not open partition {Topic}-{Partition} at start-up; it opens on first use")]
    private static partial void LogOpenFailed(ILogger logger, Exception exception, string topic, int partition);
}

/// <summary>Opt-in start-up opening of all partitions (the broker host uses it; test clusters need not).</summary>
public static class PartitionStartupExtensions
{
    public static ISiloBuilder OpenPartitionsAtStartup(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<PartitionStartup>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PartitionStartup>());
        return builder;
    }
}
