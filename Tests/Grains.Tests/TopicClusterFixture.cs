using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Kafka.Storage;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Orleans.Kafka.Grains.Tests;

/// <summary>Builds in-process test clusters the way a Kafka silo is configured: "kafka" grain storage, AddKafkaGrains, broker options.</summary>
public static class TopicClusters
{
    public const int NodeId = 1;
    public const int DefaultPartitions = 3;

    /// <summary>
    /// Starts a cluster. "kafka" storage is the project's file storage under <paramref name="fileStorageRoot"/> when given,
    /// else <paramref name="store"/> (outlives the cluster) when given, else Orleans' memory storage.
    /// </summary>
    public static async Task<InProcessTestCluster> StartAsync(
        short silos, SharedGrainStore? store = null, Action<BrokerOptions>? configure = null, string? fileStorageRoot = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((_, silo) =>
        {
            if (fileStorageRoot is not null)
            {
                silo.AddKafkaFileGrainStorage("kafka", o => o.RootDirectory = fileStorageRoot);
            }
            else if (store is null)
            {
                silo.AddMemoryGrainStorage("kafka");
            }
            else
            {
                silo.Services.AddKeyedSingleton<IGrainStorage>("kafka",
                    (sp, _) => new SharedGrainStorage(store, sp.GetRequiredService<IGrainStorageSerializer>()));
            }

            silo.AddKafkaGrains();
            silo.Services.Configure<BrokerOptions>(o =>
            {
                o.NodeId = NodeId;
                o.NumPartitions = DefaultPartitions;
                configure?.Invoke(o);
            });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}

/// <summary>One shared single-silo cluster per test class.</summary>
public sealed class SingleSiloFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync() => Cluster = await TopicClusters.StartAsync(1);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>One shared two-silo cluster per test class.</summary>
public sealed class TwoSiloFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        Cluster = await TopicClusters.StartAsync(2);
        await Cluster.WaitForLivenessToStabilizeAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
