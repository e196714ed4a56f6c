using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Kafka.Grains;
using Orleans.TestingHost;

namespace Orleans.Kafka.Gateway.Tests.Partitions;

/// <summary>
/// A single silo with topic and partition grains whose logs live in a temporary directory (deleted afterwards), and the
/// gateway in front of it on 127.0.0.1 with a free port.
/// </summary>
public sealed class PartitionGatewayFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public string LogDirs { get; } = Path.Combine(Path.GetTempPath(), "okafka-gw-" + Guid.NewGuid().ToString("N"));

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
}

[CollectionDefinition(Name)]
public sealed class PartitionGatewayCollection : ICollectionFixture<PartitionGatewayFixture>
{
    public const string Name = "partition-gateway";
}
