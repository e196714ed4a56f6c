using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Kafka.Topics;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Cluster;

/// <summary>
/// Drives failover from Orleans membership: on every change to which silo ids are live (or to the address behind one),
/// asks the topic registry to re-run leader election for every topic. Every silo runs one; the election is idempotent,
/// so the duplicates only cost a few grain calls, and any one surviving silo is enough. Also refreshes the
/// <see cref="ReplicationMetrics"/> figures from the registry on a timer. Runs from the Active stage until shutdown.
/// </summary>
public sealed partial class ReplicaFailoverWatcher(
    IClusterMembershipService membership,
    IGrainFactory grains,
    ReplicationMetrics metrics,
    IOptions<ReplicationOptions> options,
    ILogger<ReplicaFailoverWatcher> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _work = Task.CompletedTask;
    private int _participating;

    private ITopicRegistryGrain Registry => grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key);

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);

        // AddKafkaGrains may run more than once on a service collection; the watcher must still start only once.
        if (Interlocked.Exchange(ref _participating, 1) == 1)
        {
            return;
        }

        lifecycle.Subscribe(nameof(ReplicaFailoverWatcher), ServiceLifecycleStage.Active, OnStart, OnStop);
    }

    private Task OnStart(CancellationToken cancellationToken)
    {
        // Off the lifecycle's thread: both loops run until the silo stops.
        _work = Task.WhenAll(
            Task.Run(() => WatchMembership(_stopping.Token), CancellationToken.None),
            Task.Run(() => RefreshMetrics(_stopping.Token), CancellationToken.None));
        return Task.CompletedTask;
    }

    private async Task OnStop(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _work.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loops end on the token; the lifecycle's own deadline cut the wait short.
        }
    }

    private async Task WatchMembership(CancellationToken stopping)
    {
        Dictionary<int, SiloAddress>? last = null;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stopping))
            {
                if (!SiloIds.InUse(snapshot))
                {
                    continue;
                }

                var live = SiloIds.Live(snapshot);
                if (last is not null && SameSilos(last, live))
                {
                    continue;
                }

                last = live;
                ReplicationLog.MembershipChanged(logger, string.Join(",", live.Keys.Order()));
                await ReconcileWithRetry(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Silo shutdown.
        }
    }

    private async Task ReconcileWithRetry(CancellationToken stopping)
    {
        var attempts = Math.Max(1, options.Value.ReconcileAttempts);
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            try
            {
                await Registry.ReconcileLeaders().WaitAsync(stopping);
                return;
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                // The registry may be re-activating (its silo may be the one that died): try again shortly; after the
                // last attempt the registry's periodic reconcile takes over.
                ReplicationLog.ReconcileAttemptFailed(logger, attempt, attempts, ex);
                if (attempt < attempts)
                {
                    await Task.Delay(options.Value.ReconcileRetryDelay, stopping);
                }
            }
        }
    }

    private async Task RefreshMetrics(CancellationToken stopping)
    {
        var interval = options.Value.MetricsRefreshInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                try
                {
                    metrics.Update(await Registry.ListTopics().WaitAsync(stopping));
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested)
                {
                    // Keeps the last figures; the next tick tries again.
                    ReplicationLog.MetricsRefreshFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Silo shutdown.
        }
    }

    private static bool SameSilos(Dictionary<int, SiloAddress> a, Dictionary<int, SiloAddress> b) =>
        a.Count == b.Count && a.All(e => b.TryGetValue(e.Key, out var address) && address.Equals(e.Value));

    public void Dispose() => _stopping.Dispose();
}

internal static partial class ReplicationLog
{
    [LoggerMessage(EventId = 3500, Level = LogLevel.Information, Message = "Live silo ids changed to [{SiloIds}]: re-electing partition leaders")]
    public static partial void MembershipChanged(ILogger logger, string siloIds);

    [LoggerMessage(EventId = 3501, Level = LogLevel.Warning, Message = "Leader re-election after a membership change failed (attempt {Attempt} of {Attempts})")]
    public static partial void ReconcileAttemptFailed(ILogger logger, int attempt, int attempts, Exception exception);

    [LoggerMessage(EventId = 3502, Level = LogLevel.Debug, Message = "Refreshing the replication metrics from the topic registry failed")]
    public static partial void MetricsRefreshFailed(ILogger logger, Exception exception);
}
