using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Topics;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Orleans.Kafka.Grains.Tests.Cluster;

/// <summary>
/// Three silos with silo ids 1, 2, 3 (Primary, Secondary_1, Secondary_2), each with its own log.dirs under one temp root,
/// and grain state in a <see cref="SharedGrainStore"/> that outlives silos (as PostgreSQL does in cluster mode). Like
/// <see cref="SiloIdClusterFixture"/>, with the replication controller's timers shortened for tests.
/// </summary>
public sealed class ReplicationClusterFixture : IAsyncLifetime
{
    private readonly TimeSpan _reconcileInterval;

    /// <summary>The shared-fixture form (xunit wants one public constructor): a 1 s periodic reconcile.</summary>
    public ReplicationClusterFixture()
        : this(TimeSpan.FromSeconds(1))
    {
    }

    /// <param name="reconcileInterval">The registry's periodic reconcile; zero turns it off.</param>
    internal ReplicationClusterFixture(TimeSpan reconcileInterval) => _reconcileInterval = reconcileInterval;

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "okafka-repl-" + Guid.NewGuid().ToString("N"));

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _reuse = new();

    public SharedGrainStore Store { get; } = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            var logDirs = _reuse.TryDequeue(out var reused) ? reused : Path.Combine(Root, options.SiloName);
            silo.Services.AddKeyedSingleton<IGrainStorage>("kafka",
                (sp, _) => new SharedGrainStorage(Store, sp.GetRequiredService<IGrainStorageSerializer>()));
            silo.AddKafkaGrains();
            silo.UseKafkaSiloIdentity(logDirs, InitialSiloId(options.SiloName));
            silo.Services.Configure<BrokerOptions>(o =>
            {
                o.LogDirs = logDirs;
                o.NumPartitions = 3;
            });
            silo.Services.Configure<ReplicationOptions>(o =>
            {
                o.ReconcileInterval = _reconcileInterval;
                o.MetricsRefreshInterval = TimeSpan.FromMilliseconds(200);
                o.ReconcileRetryDelay = TimeSpan.FromMilliseconds(200);
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await Cluster.WaitForLivenessToStabilizeAsync();
    }

    public InProcessSiloHandle SiloOf(int siloId) =>
        Cluster.Silos.Single(s => s.SiloHost.Services.GetRequiredService<ISiloIdentity>().SiloId == siloId);

    /// <summary>Stops silo <paramref name="siloId"/> (gracefully: membership learns at once that it is gone).</summary>
    public Task StopAsync(int siloId) => Cluster.StopSiloAsync(SiloOf(siloId));

    /// <summary>Starts a new silo on a stopped silo's directory: a new Orleans address, the same silo id.</summary>
    public async Task StartAgainAsync(int siloId)
    {
        _reuse.Enqueue(Directory.EnumerateDirectories(Root)
            .Single(d => File.ReadAllText(Path.Combine(d, FileSiloIdentity.FileName)).Trim() == siloId.ToString(CultureInfo.InvariantCulture)));
        await Cluster.StartAdditionalSiloAsync();
    }

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

    private static int InitialSiloId(string siloName) =>
        siloName == "Primary" ? 1 : int.Parse(siloName.AsSpan(siloName.IndexOf('_', StringComparison.Ordinal) + 1), CultureInfo.InvariantCulture) + 1;

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
