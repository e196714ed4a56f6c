using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using Orleans.Kafka.Gateway;
using Orleans.Kafka.Silo;

namespace Orleans.Kafka;

/// <summary>
/// Builds a standalone gateway process (<c>dotnet run --project Silo -- gateway</c>): an Orleans client of the cluster
/// with a Kafka listener and no state of its own. Run as many as you like, each with its own unique <c>Kafka:node.id</c>;
/// each registers in the gateway registry and appears in Metadata while it heartbeats.
/// </summary>
public static class GatewayHost
{
    /// <summary>The first argument that selects gateway mode.</summary>
    public const string Verb = "gateway";

    /// <summary>
    /// Builds the gateway. <paramref name="clustering"/> configures how the client finds the silos; the default reads the
    /// same <c>Orleans</c> settings as the silos (<see cref="ClusteringSetup.ConfigureClient"/>): localhost clustering
    /// against <c>Orleans:GatewayPort</c> in embedded mode, the PostgreSQL membership table in cluster mode.
    /// </summary>
    public static WebApplication Build(string[] args, Action<IClientBuilder, IConfiguration>? clustering = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.UseOrleansClient(client => (clustering ?? UseSiloClustering)(client, builder.Configuration));
        builder.Services.AddKafkaGateway(builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenKafka());
        ParentProcessWatch.AddTo(builder.Services, builder.Configuration);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>The silos' clustering (localhost in embedded mode, ADO.NET/PostgreSQL in cluster mode), read from configuration.</summary>
    private static void UseSiloClustering(IClientBuilder client, IConfiguration configuration) =>
        ClusteringSetup.ConfigureClient(client, ClusteringSettings.FromConfiguration(configuration));
}
