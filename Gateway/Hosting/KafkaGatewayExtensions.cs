using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Kafka.Gateway.Apis;
using Orleans.Kafka.Gateway.Connections;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Gateway.Hosting;

namespace Orleans.Kafka.Gateway;

/// <summary>Wiring for a Kafka gateway: services (<see cref="AddKafkaGateway"/>) and the Kestrel listener (<see cref="ListenKafka"/>).</summary>
public static class KafkaGatewayExtensions
{
    /// <summary>
    /// Registers the gateway: <see cref="BrokerOptions"/> bound from the <c>Kafka</c> section and validated at start-up,
    /// the request dispatcher and the built-in API handlers. Grain calls go through the <see cref="IGrainFactory"/>
    /// in the container (a silo's or an Orleans client's).
    /// </summary>
    public static IServiceCollection AddKafkaGateway(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BrokerOptions>().Bind(configuration.GetSection(BrokerOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerOptions>, BrokerOptionsValidator>());
        services.TryAddSingleton<BrokerEndpoint>();
        services.TryAddSingleton<KafkaRequestDispatcher>();
        services.TryAddSingleton<BrokerConfigs>();
        services.AddMetrics();
        services.TryAddSingleton<GatewayMetrics>();
        services.TryAddSingleton<KafkaConnectionHandler>();
        services.AddHostedService<ListenerAnnouncer>();

        // Cluster membership of this gateway: registration, heartbeats and the view Metadata answers from.
        services.AddOptions<GatewayHeartbeatOptions>();
        services.TryAddSingleton<GatewayDirectory>();
        services.AddHostedService<GatewayHeartbeat>();

        services.AddKafkaApiHandler<MetadataHandler>();
        services.AddKafkaApiHandler<CreateTopicsHandler>();
        services.AddKafkaApiHandler<DeleteTopicsHandler>();
        services.AddKafkaApiHandler<CreatePartitionsHandler>();
        services.AddKafkaApiHandler<DescribeConfigsHandler>();
        services.AddKafkaApiHandler<AlterConfigsHandler>();
        services.AddKafkaApiHandler<IncrementalAlterConfigsHandler>();
        services.AddKafkaApiHandler<DescribeClusterHandler>();
        services.AddKafkaApiHandler<DescribeTopicPartitionsHandler>();
        services.AddKafkaApiHandler<AlterPartitionReassignmentsHandler>();
        services.AddKafkaApiHandler<ListPartitionReassignmentsHandler>();
        services.AddKafkaApiHandler<InitProducerIdHandler>();
        services.TryAddSingleton<PartitionCalls>();
        services.TryAddSingleton<ProduceOrdering>();
        services.TryAddSingleton<ProduceRefusals>();
        services.AddKafkaApiHandler<ProduceHandler>();
        services.AddKafkaApiHandler<FetchHandler>();
        services.AddKafkaApiHandler<ListOffsetsHandler>();
        services.AddKafkaApiHandler<OffsetForLeaderEpochHandler>();
        services.AddKafkaApiHandler<DeleteRecordsHandler>();
        services.AddKafkaApiHandler<FindCoordinatorHandler>();
        services.AddKafkaApiHandler<ListGroupsHandler>();
        services.AddKafkaApiHandler<DescribeGroupsHandler>();
        services.AddKafkaApiHandler<DeleteGroupsHandler>();
        services.AddKafkaApiHandler<JoinGroupHandler>();
        services.AddKafkaApiHandler<SyncGroupHandler>();
        services.AddKafkaApiHandler<HeartbeatHandler>();
        services.AddKafkaApiHandler<LeaveGroupHandler>();
        services.AddKafkaApiHandler<OffsetCommitHandler>();
        services.AddKafkaApiHandler<OffsetFetchHandler>();
        services.AddKafkaApiHandler<OffsetDeleteHandler>();
        services.AddKafkaApiHandler<ConsumerGroupHeartbeatHandler>();
        services.AddKafkaApiHandler<ConsumerGroupDescribeHandler>();
        return services;
    }

    /// <summary>Adds a handler for one more Kafka API; ApiVersions advertises it from then on.</summary>
    public static IServiceCollection AddKafkaApiHandler<THandler>(this IServiceCollection services)
        where THandler : class, IKafkaApiHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKafkaApiHandler, THandler>());
        return services;
    }

    /// <summary>
    /// Listens for Kafka clients on listener.host:listener.port (of <paramref name="options"/>, or the registered
    /// <see cref="BrokerOptions"/>). Port 0 binds a free port; Metadata then advertises the bound one.
    /// </summary>
    public static KestrelServerOptions ListenKafka(this KestrelServerOptions kestrel, BrokerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        options ??= kestrel.ApplicationServices.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var host = options.ListenerHost;
        var port = options.ListenerPort;
        if (string.IsNullOrEmpty(host) || host is "*" or "+")
        {
            kestrel.ListenAnyIP(port, listen => listen.UseKafkaGateway());
        }
        else if (IPAddress.TryParse(host, out var address))
        {
            kestrel.Listen(address, port, listen => listen.UseKafkaGateway());
        }
        else if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseKafkaGateway());
        }
        else
        {
            // A host name: bind the address it resolves to now (start-up only, so the blocking lookup is harmless).
            var resolved = Dns.GetHostAddresses(host);
            if (resolved.Length == 0)
            {
                throw new InvalidOperationException($"listener.host '{host}' does not resolve to an address.");
            }

            kestrel.Listen(resolved[0], port, listen => listen.UseKafkaGateway());
        }

        return kestrel;
    }

    /// <summary>Serves the Kafka protocol on this Kestrel endpoint (needs <see cref="AddKafkaGateway"/>).</summary>
    public static ListenOptions UseKafkaGateway(this ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.ApplicationServices.GetRequiredService<BrokerEndpoint>().Attach(listen);
        listen.UseConnectionHandler<KafkaConnectionHandler>();
        return listen;
    }
}
