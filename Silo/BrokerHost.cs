using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using Orleans.Kafka.Gateway;
using Orleans.Kafka.Grains;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Grains.Partitions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Orleans.Kafka.Storage;
using Orleans.Kafka.Storage.GrainStorage;
using Orleans.Kafka.Silo;

namespace Orleans.Kafka;

/// <summary>
/// Builds the broker process: an Orleans silo with the Kafka grains and a co-hosted Kafka gateway.
/// Embedded mode (the default): localhost clustering and file grain storage under <c>{log.dirs}/metadata</c>;
/// cluster mode (<c>Orleans:Clustering=postgres</c>): see <see cref="ClusteringSetup"/>.
/// </summary>
public static class BrokerHost
{
    /// <summary>The grain storage provider name every Kafka grain persists through.</summary>
    public const string StorageName = "kafka";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var broker = builder.Configuration.GetSection(BrokerOptions.SectionName).Get<BrokerOptions>() ?? new BrokerOptions();
        var clustering = ClusteringSettings.FromConfiguration(builder.Configuration);
        var dataDirectory = Path.GetFullPath(broker.LogDirs);
        Directory.CreateDirectory(dataDirectory);

        builder.UseOrleans(silo =>
        {
            ClusteringSetup.Configure(silo, clustering, StorageName, Path.Combine(dataDirectory, "metadata"));
            MembershipSettings.Configure(silo, builder.Configuration);
            silo.AddKafkaGrains();
            silo.UseKafkaSiloIdentity(dataDirectory, broker.NodeId);
            silo.OpenPartitionsAtStartup();
        });
        if (clustering.KafkaListener)
        {
            builder.Services.AddKafkaGateway(builder.Configuration);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenKafka(broker));
        }
        else
        {
            // Storage-only silo: the grains still read the Kafka settings (log.dirs, defaults); no socket is opened.
            builder.Services.AddOptions<BrokerOptions>().Bind(builder.Configuration.GetSection(BrokerOptions.SectionName));
            builder.Services.AddSingleton<IServer, NoListenerServer>();
        }

        ParentProcessWatch.AddTo(builder.Services, builder.Configuration);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        configure?.Invoke(builder);
        return builder.Build();
    }
}
