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
    /// Builds the gateway. <paramref name="clustering"/> configures how the client finds the silos; the default is
    /// localhost clustering against <c>Orleans:GatewayPort</c> (the embedded broker's silo). Cluster mode passes the
    /// same clustering (e.g. ADO.NET/PostgreSQL) as its silos.
    /// </summary>
    public static WebApplication Build(string[] args, Action<IClientBuilder, IConfiguration>? clustering = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.UseOrleansClient(client => (clustering ?? UseLocalhost)(client, builder.Configuration));
        builder.Services.AddKafkaGateway(builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenKafka());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>Whether <paramref name="args"/> ask for gateway mode; <paramref name="rest"/> are the remaining arguments.</summary>
    public static bool IsGatewayMode(string[] args, out string[] rest)
    {
        ArgumentNullException.ThrowIfNull(args);
        var gateway = args.Length > 0 && string.Equals(args[0], Verb, StringComparison.OrdinalIgnoreCase);
        rest = gateway ? args[1..] : args;
        return gateway;
    }

    private static void UseLocalhost(IClientBuilder client, IConfiguration configuration)
    {
        var orleans = configuration.GetSection(OrleansHostOptions.SectionName).Get<OrleansHostOptions>() ?? new OrleansHostOptions();
        client.UseLocalhostClustering(orleans.GatewayPort);
    }
}
