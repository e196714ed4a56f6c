using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Hosting;
using Orleans.Kafka.Cluster;
using Orleans.Runtime;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Grains.Topics;
using Orleans.Kafka.Grains.Partitions;

namespace Orleans.Kafka.Grains;

/// <summary>Registers what the Kafka grains need inside a silo.</summary>
public static class KafkaGrainsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the grains' services: the replica placement, the <see cref="BrokerOptions"/> options entry, and the
    /// replication controller's failover watcher, metrics and <see cref="ReplicationOptions"/>.
    /// Expectations on the host: bind <see cref="BrokerOptions"/> from the "Kafka" configuration section
    /// (<c>services.Configure&lt;BrokerOptions&gt;(configuration.GetSection(BrokerOptions.SectionName))</c>), and register a
    /// grain storage provider named "kafka" (file storage in embedded mode, ADO.NET in cluster mode, memory in tests).
    /// </summary>
    public static ISiloBuilder AddKafkaGrains(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddKafkaGrains();
        return builder;
    }

    /// <inheritdoc cref="AddKafkaGrains(ISiloBuilder)"/>
    public static IServiceCollection AddKafkaGrains(this IServiceCollection services)
    {
        services.AddOptions<BrokerOptions>();
        services.TryAddSingleton<IReplicaPlacement, LocalReplicaPlacement>();

        // Partitions live on the silo that owns their files; gateways register in the gateway registry.
        services.AddPlacementDirector<PartitionPlacementStrategy, PartitionPlacementDirector>();
        services.AddPlacementDirector<ReplicaPlacementStrategy, ReplicaPlacementDirector>();
        services.TryAddSingleton<Partitions.LocalLogOwnership>();
        services.AddOptions<GatewayRegistryOptions>();

        // Replication controller: failover on membership changes, the periodic reconcile's timing, the gauges.
        services.AddOptions<ReplicationOptions>();
        services.TryAddSingleton(sp => new ReplicationMetrics(sp.GetService<ISiloIdentity>()));
        services.TryAddSingleton<ReplicaFailoverWatcher>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ReplicaFailoverWatcher>());
        return services;
    }
}
