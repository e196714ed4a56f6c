using System.Globalization;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Grains;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Storage;
using Orleans.Kafka.Topics;
using Orleans.TestingHost;

namespace Orleans.Kafka.Gateway.Tests.Cluster;

/// <summary>
/// Cluster mode in one process: three silos with silo ids 1, 2, 3 (each its own log.dirs) and Kafka gateways running as
/// separate Kestrel hosts over the cluster's Orleans client, as standalone gateway processes do. Gateways 101 and 102
/// run "beside" silos 1 and 2 (they register those silo ids); tests start more as they need.
/// </summary>
public sealed class ClusterGatewayFixture : IAsyncLifetime
{
    public const int GatewayBesideSilo1 = 101, GatewayBesideSilo2 = 102;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "okafka-gwcluster-" + Guid.NewGuid().ToString("N"));

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _reuse = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public WebApplication First { get; private set; } = null!;

    public WebApplication Second { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            // A silo started to replace a stopped one takes over its directory (and so its silo.id and partitions).
            var logDirs = _reuse.TryDequeue(out var reused) ? reused : Path.Combine(_root, options.SiloName);
            var initialId = options.SiloName == "Primary" ? 1 : int.Parse(options.SiloName.AsSpan(options.SiloName.IndexOf('_', StringComparison.Ordinal) + 1), CultureInfo.InvariantCulture) + 1;
            // File grain state shared by all silos: topics survive a silo stopping, as with PostgreSQL in cluster mode.
            silo.AddKafkaFileGrainStorage("kafka", o => o.RootDirectory = Path.Combine(_root, "metadata"));
            silo.AddKafkaGrains();
            silo.UseKafkaSiloIdentity(logDirs, initialId);
            silo.Services.Configure<BrokerOptions>(o => o.LogDirs = logDirs);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await Cluster.WaitForLivenessToStabilizeAsync();
        First = await StartGatewayAsync(GatewayBesideSilo1, 1);
        Second = await StartGatewayAsync(GatewayBesideSilo2, 2);
    }

    /// <summary>A gateway host on 127.0.0.1 (free port) with node id <paramref name="nodeId"/>, beside silo <paramref name="siloId"/> if given.</summary>
    public async Task<WebApplication> StartGatewayAsync(int nodeId, int? siloId)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:node.id"] = nodeId.ToString(CultureInfo.InvariantCulture),
            ["Kafka:cluster.id"] = "cluster-tests",
            ["Kafka:listener.host"] = "127.0.0.1",
            ["Kafka:listener.port"] = "0",
        });
        builder.Services.AddSingleton(Grains);
        if (siloId is { } id)
        {
            builder.Services.AddSingleton<ISiloIdentity>(new FixedSiloIdentity(id));
        }

        builder.Services.AddKafkaGateway(builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenKafka());
        var app = builder.Build();
        try
        {
            await app.StartAsync();
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the silo with <paramref name="siloId"/> gracefully.</summary>
    public Task StopSiloAsync(int siloId) => Cluster.StopSiloAsync(SiloOf(siloId));

    /// <summary>Starts a new silo on the stopped silo's directory: a new Orleans address, the same silo id and files.</summary>
    public async Task StartSiloAgainAsync(int siloId, string logDirs)
    {
        _reuse.Enqueue(logDirs);
        await Cluster.StartAdditionalSiloAsync();
    }

    public InProcessSiloHandle SiloOf(int siloId) =>
        Cluster.Silos.Single(s => s.SiloHost.Services.GetRequiredService<ISiloIdentity>().SiloId == siloId);

    public static string LogDirsOf(InProcessSiloHandle silo) =>
        silo.SiloHost.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<BrokerOptions>>().Value.LogDirs;

    public static string Address(WebApplication gateway) =>
        "127.0.0.1:" + gateway.Services.GetRequiredService<BrokerEndpoint>().BoundEndPoint!.Port.ToString(CultureInfo.InvariantCulture);

    public async Task<TopicInfo> CreateTopicAsync(string prefix, int partitions, IReadOnlyDictionary<int, IReadOnlyList<int>>? assignments = null)
    {
        var spec = assignments is null
            ? new CreateTopicSpec($"{prefix}-{Guid.NewGuid():N}", partitions, 1, null, new Dictionary<string, string?>())
            : new CreateTopicSpec($"{prefix}-{Guid.NewGuid():N}", -1, -1, assignments, new Dictionary<string, string?>());
        var result = await Grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key).CreateTopic(spec, validateOnly: false);
        Assert.True(result.Error == Protocol.KafkaErrorCode.None, $"{result.Error} {result.Message}");
        return result.Topic!;
    }

    /// <summary>Reads up to <paramref name="count"/> values of a partition from offset 0 through <paramref name="bootstrap"/> (30 s deadline).</summary>
    public static List<string> ReadValues(string bootstrap, string topic, int partition, int count)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "unused-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, partition, 0));
        var received = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (received.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { IsPartitionEOF: false } record)
            {
                received.Add(record.Message.Value);
            }
        }

        return received;
    }

    /// <summary>Polls Metadata through <paramref name="bootstrap"/> until <paramref name="done"/> holds (30 s deadline).</summary>
    public static async Task<Confluent.Kafka.Metadata> AwaitMetadataAsync(string bootstrap, Func<Confluent.Kafka.Metadata, bool> done)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
            if (done(metadata))
            {
                return metadata;
            }

            Assert.True(DateTime.UtcNow < deadline, "Metadata never reached the expected state: brokers " + string.Join(",", metadata.Brokers.Select(b => b.BrokerId)));
            await Task.Delay(100);
        }
    }

    public static async Task StopGatewayAsync(WebApplication gateway)
    {
        await gateway.StopAsync();
        await gateway.DisposeAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in new[] { First, Second })
        {
            if (gateway is not null)
            {
                await StopGatewayAsync(gateway);
            }
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private sealed class FixedSiloIdentity(int siloId) : ISiloIdentity
    {
        public int SiloId => siloId;
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterGatewayCollection : ICollectionFixture<ClusterGatewayFixture>
{
    public const string Name = "cluster-gateways";
}
