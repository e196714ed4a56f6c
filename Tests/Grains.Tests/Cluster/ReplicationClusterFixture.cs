using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Topics;
using Orleans.TestingHost;

namespace Orleans.Kafka.Grains.Tests.Cluster;

/// <summary>
/// Three silos with silo ids 1, 2, 3 (Primary, Secondary_1, Secondary_2), each with its own log.dirs under one temp root,
/// and grain state in a <see cref="SharedGrainStore"/> that outlives silos (as PostgreSQL does in cluster mode). Like
/// <see cref="SiloIdClusterFixture"/> (which it wraps), with the replication controller's timers shortened for tests.
/// </summary>
public sealed class ReplicationClusterFixture : IAsyncLifetime
{
    private readonly SiloIdClusterFixture _cluster;

    /// <summary>The shared-fixture form (xunit wants one public constructor): a 1 s periodic reconcile.</summary>
    public ReplicationClusterFixture()
        : this(TimeSpan.FromSeconds(1))
    {
    }

    /// <param name="reconcileInterval">The registry's periodic reconcile; zero turns it off.</param>
    internal ReplicationClusterFixture(TimeSpan reconcileInterval) =>
        _cluster = new SiloIdClusterFixture(configure: null, configureSilo: silo => silo.Services.Configure<ReplicationOptions>(o =>
        {
            o.ReconcileInterval = reconcileInterval;
            o.MetricsRefreshInterval = TimeSpan.FromMilliseconds(200);
            o.ReconcileRetryDelay = TimeSpan.FromMilliseconds(200);
        }));

    public string Root => _cluster.Root;

    public SharedGrainStore Store => _cluster.Store;

    public InProcessTestCluster Cluster => _cluster.Cluster;

    public IGrainFactory Grains => _cluster.Grains;

    public Task InitializeAsync() => _cluster.InitializeAsync();

    public Task DisposeAsync() => _cluster.DisposeAsync();

    public InProcessSiloHandle SiloOf(int siloId) => _cluster.SiloOf(siloId);

    /// <summary>Stops silo <paramref name="siloId"/> (gracefully: membership learns at once that it is gone).</summary>
    public Task StopAsync(int siloId) => _cluster.StopAsync(siloId);

    /// <summary>Starts a new silo on a stopped silo's directory: a new Orleans address, the same silo id.</summary>
    public Task StartAgainAsync(int siloId) => _cluster.StartAgainAsync(siloId);

    /// <summary>Polls the registry's view of a partition until <paramref name="condition"/> holds (deadline 30 s).</summary>
    public async Task<PartitionInfo> WaitForPartition(string topic, int partition, Func<PartitionInfo, bool> condition, bool reconcile = false)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var registry = Grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key);
        PartitionInfo? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (reconcile)
            {
                await registry.ReconcileLeaders();
            }

            last = (await registry.GetTopic(topic))?.Partitions[partition];
            if (last is not null && condition(last))
            {
                return last;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{topic}/{partition} did not reach the expected state; last: {Describe(last)}");
    }

    public static string Describe(PartitionInfo? p) => p is null
        ? "none"
        : $"leader {p.Leader} epoch {p.LeaderEpoch} replicas [{string.Join(",", p.Replicas)}] isr [{string.Join(",", p.Isr)}] adding [{string.Join(",", p.Adding)}] removing [{string.Join(",", p.Removing)}]";
}
