using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Orleans.Kafka.Gateway.Hosting;

/// <summary>Logs where the Kafka listener bound once the host (and so Kestrel) has started.</summary>
internal sealed class ListenerAnnouncer(BrokerEndpoint endpoint, IHostApplicationLifetime lifetime, ILogger<ListenerAnnouncer> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            if (endpoint.BoundEndPoint is { } bound)
            {
                GatewayLog.ListenerBound(logger, bound, endpoint.Host(bound), endpoint.Port(bound), endpoint.NodeId);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
