using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Kafka.Cluster;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Cluster;

/// <summary>Settings of the gateway registry.</summary>
public sealed class GatewayRegistryOptions
{
    /// <summary>A gateway whose last heartbeat is older than this is dead (gateways heartbeat about every second).</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// In-memory registry of live gateways (see <see cref="IGatewayRegistryGrain"/> for why it is not persisted). Expired
/// entries are dropped whenever the view is read, so no timer is needed. Calls never await, so interleaved reads see a
/// consistent dictionary.
/// </summary>
public sealed partial class GatewayRegistryGrain(IClusterMembershipService membership, IOptions<GatewayRegistryOptions> options, ILogger<GatewayRegistryGrain> logger)
    : Grain, IGatewayRegistryGrain
{
    private readonly TimeProvider _time = TimeProvider.System;
    private readonly Dictionary<int, (GatewayRegistration Gateway, long LastSeen)> _gateways = [];

    public Task<ClusterView> Heartbeat(GatewayRegistration gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        Prune();
        if (!_gateways.TryGetValue(gateway.NodeId, out var known))
        {
            LogRegistered(logger, gateway.NodeId, gateway.Host, gateway.Port, gateway.SiloId);
        }
        else if (known.Gateway != gateway)
        {
            // node.id must be unique; two live gateways with one id would each replace the other's address.
            LogChanged(logger, gateway.NodeId, known.Gateway.Host, known.Gateway.Port, gateway.Host, gateway.Port);
        }

        _gateways[gateway.NodeId] = (gateway, _time.GetTimestamp());
        return Task.FromResult(View());
    }

    public Task Unregister(int nodeId)
    {
        if (_gateways.Remove(nodeId))
        {
            LogUnregistered(logger, nodeId);
        }

        return Task.CompletedTask;
    }

    public Task<ClusterView> GetView()
    {
        Prune();
        return Task.FromResult(View());
    }

    private ClusterView View()
    {
        var gateways = _gateways.Values.Select(g => g.Gateway).OrderBy(g => g.NodeId).ToArray();
        var snapshot = membership.CurrentSnapshot;
        int[]? silos = SiloIds.InUse(snapshot) ? [.. SiloIds.Live(snapshot).Keys.Order()] : null;
        return new ClusterView(gateways, silos);
    }

    private void Prune()
    {
        var expiry = options.Value.Expiry;
        List<int>? expired = null;
        foreach (var (nodeId, entry) in _gateways)
        {
            if (_time.GetElapsedTime(entry.LastSeen) > expiry)
            {
                (expired ??= []).Add(nodeId);
            }
        }

        foreach (var nodeId in expired ?? [])
        {
            _gateways.Remove(nodeId);
            LogExpired(logger, nodeId, expiry);
        }
    }

    [LoggerMessage(EventId = 3810, Level = LogLevel.Information, Message = "Gateway {NodeId} registered at {Host}:{Port} (silo {SiloId})")]
    private static partial void LogRegistered(ILogger logger, int nodeId, string host, int port, int? siloId);

    [LoggerMessage(EventId = 3811, Level = LogLevel.Warning, Message = "Gateway {NodeId} moved from {OldHost}:{OldPort} to {Host}:{Port}; node.id must be unique per gateway")]
    private static partial void LogChanged(ILogger logger, int nodeId, string oldHost, int oldPort, string host, int port);

    [LoggerMessage(EventId = 3812, Level = LogLevel.Information, Message = "Gateway {NodeId} unregistered")]
    private static partial void LogUnregistered(ILogger logger, int nodeId);

    [LoggerMessage(EventId = 3813, Level = LogLevel.Warning, Message = "Gateway {NodeId} expired: no heartbeat for {Expiry}")]
    private static partial void LogExpired(ILogger logger, int nodeId, TimeSpan expiry);
}
