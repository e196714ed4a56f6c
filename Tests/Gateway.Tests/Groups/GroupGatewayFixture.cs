using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Kafka.Grains;
using Orleans.Kafka.Topics;
using Orleans.TestingHost;

namespace Orleans.Kafka.Gateway.Tests.Groups;

/// <summary>
/// A single silo (memory grain storage, partition logs in a temporary directory) with no initial rebalance delay, and the
/// gateway in front of it on 127.0.0.1 with a free port.
/// </summary>
public sealed class GroupGatewayFixture : IAsyncLifetime
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(40);

    private WebApplication? _app;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public string LogDirs { get; } = Path.Combine(Path.GetTempPath(), "okafka-gw-groups-" + Guid.NewGuid().ToString("N"));

    public int Port { get; private set; }

    public string BootstrapServers => $"127.0.0.1:{Port}";

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        var logDirs = LogDirs;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage("kafka");
            silo.AddKafkaGrains();
            silo.Services.Configure<BrokerOptions>(o =>
            {
                o.NodeId = GatewayFixture.NodeId;
                o.LogDirs = logDirs;
                o.GroupInitialRebalanceDelayMs = 0;
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        _app = await GatewayFixture.StartGatewayAsync(Cluster.Client);
        Port = GatewayFixture.BoundPort(_app);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        if (Directory.Exists(LogDirs))
        {
            Directory.Delete(LogDirs, recursive: true);
        }
    }

    public async Task<TopicInfo> CreateTopicAsync(string prefix, int partitions)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}";
        var result = await Grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key)
            .CreateTopic(new CreateTopicSpec(name, partitions, 1, null, new Dictionary<string, string?>()), validateOnly: false);
        Assert.True(result.Error == Protocol.KafkaErrorCode.None, $"{result.Error} {result.Message}");
        return result.Topic!;
    }

    public async Task ProduceAsync(string topic, int partition, params string[] values)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = BootstrapServers, LingerMs = 0 }).Build();
        foreach (var value in values)
        {
            var report = await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<string, string> { Key = "k", Value = value });
            Assert.Equal(PersistenceStatus.Persisted, report.Status);
        }
    }

    public IConsumer<string, string> GroupConsumer(string groupId, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = groupId,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 10000,
            HeartbeatIntervalMs = 300,
            SocketTimeoutMs = 20000,
        };
        configure?.Invoke(config);
        return new ConsumerBuilder<string, string>(config).Build();
    }
}

[CollectionDefinition(Name)]
public sealed class GroupGatewayCollection : ICollectionFixture<GroupGatewayFixture>
{
    public const string Name = "group-gateway";
}
