using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Grains;
using Orleans.TestingHost;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>
/// A single-silo Orleans cluster with the real topic grains (memory storage "kafka") and, in front of it, a Kestrel
/// host serving the Kafka gateway on 127.0.0.1 with a free port, calling grains through the cluster's client.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const int NodeId = 1;
    public const string ClusterId = "gateway-tests";

    private WebApplication? _app;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public int Port { get; private set; }

    public string BootstrapServers => $"127.0.0.1:{Port}";

    public IServiceProvider Services => _app!.Services;

    public async Task InitializeAsync()
    {
        var clusterBuilder = new InProcessTestClusterBuilder(1);
        clusterBuilder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage("kafka");
            silo.AddKafkaGrains();
            silo.Services.Configure<BrokerOptions>(o => o.NodeId = NodeId);
        });
        Cluster = clusterBuilder.Build();
        await Cluster.DeployAsync();

        _app = await StartGatewayAsync(Cluster.Client);
        Port = BoundPort(_app);
    }

    /// <summary>A Kestrel host serving the gateway (plus the test-only handler) on 127.0.0.1, port 0; <paramref name="settings"/> override configuration keys.</summary>
    public static async Task<WebApplication> StartGatewayAsync(IGrainFactory grains, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:node.id"] = NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Kafka:cluster.id"] = ClusterId,
            ["Kafka:listener.host"] = "127.0.0.1",
            ["Kafka:listener.port"] = "0",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Services.AddSingleton(grains);
        builder.Services.AddKafkaGateway(builder.Configuration);
        builder.Services.AddKafkaApiHandler<DelayedEchoHandler>();
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

    public static int BoundPort(WebApplication app) =>
        app.Services.GetRequiredService<BrokerEndpoint>().BoundEndPoint?.Port
            ?? throw new InvalidOperationException("The Kafka listener did not report its bound port.");

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
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
