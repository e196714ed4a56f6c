using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Grains.Partitions;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Orleans.Kafka.Grains.Tests.Cluster;

/// <summary>
/// A three-silo cluster configured like cluster mode: each silo has its own log.dirs (under one temp root, named after
/// the TestingHost silo name so a restarted silo finds its files and silo.id again) and a silo identity; initial silo
/// ids are 1, 2, 3 (Primary, Secondary_1, Secondary_2). Grain state lives in a <see cref="SharedGrainStore"/> that
/// outlives silos, as PostgreSQL does in cluster mode.
/// </summary>
public sealed class SiloIdClusterFixture : IAsyncLifetime
{
    public const short Silos = 3;

    private readonly Action<BrokerOptions>? _configure;
    private readonly Action<ISiloBuilder>? _configureSilo;

    public SiloIdClusterFixture()
    {
    }

    /// <summary>
    /// A cluster whose broker settings <paramref name="configure"/> adjusts (replication tests shorten lags) and whose silos
    /// <paramref name="configureSilo"/> configures further (e.g. the replication controller's timers).
    /// </summary>
    internal SiloIdClusterFixture(Action<BrokerOptions>? configure, Action<ISiloBuilder>? configureSilo = null)
    {
        _configure = configure;
        _configureSilo = configureSilo;
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "okafka-cluster-" + Guid.NewGuid().ToString("N"));

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _reuse = new();

    public SharedGrainStore Store { get; } = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(Silos);
        builder.ConfigureSilo((options, silo) =>
        {
            // A silo started to replace a stopped one takes over its directory (and so its silo.id and partitions).
            var logDirs = _reuse.TryDequeue(out var reused) ? reused : LogDirsOf(options.SiloName);
            silo.Services.AddKeyedSingleton<IGrainStorage>("kafka",
                (sp, _) => new SharedGrainStorage(Store, sp.GetRequiredService<IGrainStorageSerializer>()));
            silo.AddKafkaGrains();
            silo.UseKafkaSiloIdentity(logDirs, InitialSiloId(options.SiloName));
            silo.Services.Configure<BrokerOptions>(o =>
            {
                o.LogDirs = logDirs;
                o.NumPartitions = 3;
                _configure?.Invoke(o);
            });
            silo.Services.Configure<GatewayRegistryOptions>(o => o.Expiry = TimeSpan.FromSeconds(2));
            _configureSilo?.Invoke(silo);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await Cluster.WaitForLivenessToStabilizeAsync();
    }

    public string LogDirsOf(string siloName) => Path.Combine(Root, siloName);

    /// <summary>The directory that holds silo id <paramref name="siloId"/>'s files (the one its silo.id file names).</summary>
    public string LogDirsOfSilo(int siloId) =>
        Directory.EnumerateDirectories(Root).Single(d => File.ReadAllText(Path.Combine(d, FileSiloIdentity.FileName)).Trim() == siloId.ToString(CultureInfo.InvariantCulture));

    public InProcessSiloHandle SiloOf(int siloId) =>
        Cluster.Silos.Single(s => s.SiloHost.Services.GetRequiredService<ISiloIdentity>().SiloId == siloId);

    /// <summary>Stops silo <paramref name="siloId"/> gracefully (its partitions close their logs).</summary>
    public Task StopAsync(int siloId) => Cluster.StopSiloAsync(SiloOf(siloId));

    /// <summary>Starts a new silo process on a stopped silo's directory: a new Orleans address, the same silo id.</summary>
    public async Task StartAgainAsync(int siloId)
    {
        _reuse.Enqueue(LogDirsOfSilo(siloId));
        await Cluster.StartAdditionalSiloAsync();
    }

    public static string PartitionDirectoryOf(string logDirs, string topic, int partition) => PartitionDirectory.PathFor(logDirs, topic, partition);

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
