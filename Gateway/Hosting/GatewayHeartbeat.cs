using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Kafka.Cluster;

namespace Orleans.Kafka.Gateway.Hosting;

/// <summary>Settings of a gateway's registration in the cluster.</summary>
public sealed class GatewayHeartbeatOptions
{
    /// <summary>How often the gateway refreshes its registration (and its view of the cluster).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Registers this gateway in the <see cref="IGatewayRegistryGrain"/> once the listener has bound (the advertised port
/// is known only then) and heartbeats every <see cref="GatewayHeartbeatOptions.Interval"/>; each answer refreshes the
/// <see cref="GatewayDirectory"/>. On a clean stop it unregisters, so other gateways drop it at once.
/// </summary>
internal sealed partial class GatewayHeartbeat(
    IGrainFactory grains,
    BrokerEndpoint endpoint,
    GatewayDirectory directory,
    IHostApplicationLifetime lifetime,
    Microsoft.Extensions.Options.IOptions<GatewayHeartbeatOptions> options,
    ILogger<GatewayHeartbeat> logger) : BackgroundService
{
    private IGatewayRegistryGrain Registry => grains.GetGrain<IGatewayRegistryGrain>(IGatewayRegistryGrain.Key);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitForStartAsync(stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.Interval);
        var failing = false;
        do
        {
            // Host(null): the configured or machine address, not the wildcard the listener may have bound.
            var registration = new GatewayRegistration(endpoint.NodeId, endpoint.Host(null), endpoint.Port(null), directory.ColocatedSiloId);
            try
            {
                directory.Update(await Registry.Heartbeat(registration).WaitAsync(stoppingToken).ConfigureAwait(false));
                if (failing)
                {
                    LogRecovered(logger, endpoint.NodeId);
                    failing = false;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The registry's silo may be down or moving; the next beat re-registers. Log once per outage.
                if (!failing)
                {
                    LogHeartbeatFailed(logger, ex, endpoint.NodeId);
                    failing = true;
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Registry.Unregister(endpoint.NodeId).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The entry expires on its own within seconds; nothing is lost.
            LogUnregisterFailed(logger, ex, endpoint.NodeId);
        }
    }

    private async Task<bool> WaitForStartAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task.ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Gateway {NodeId} could not heartbeat to the gateway registry; retrying")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception, int nodeId);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Gateway {NodeId} registered again after heartbeat failures")]
    private static partial void LogRecovered(ILogger logger, int nodeId);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Gateway {NodeId} could not unregister; its entry expires on its own")]
    private static partial void LogUnregisterFailed(ILogger logger, Exception exception, int nodeId);
}
