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
        var lastDead = -1;

        // Each wait is bounded by our own token rather than left to the enumerator's handling of it: a silo stopping must
        // not sit in this stage until the host's shutdown timeout waiting for a membership update that never comes.
        var updates = membership.MembershipUpdates.GetAsyncEnumerator(stopping);
        try
        {
            while (await updates.MoveNextAsync().AsTask().WaitAsync(stopping))
            {
                var snapshot = updates.Current;
                if (!SiloIds.InUse(snapshot))
                {
                    continue;
                }

                // A silo that finished dying counts too: its live set changed when it began shutting down, but its grains
                // (a topic grain, the registry) only re-activate elsewhere once it is dead, and an election tried
                // meanwhile may have failed against them.
                var live = SiloIds.Live(snapshot);
                var dead = snapshot.Members.Values.Count(m => m.Status == SiloStatus.Dead);
                if (last is not null && SameSilos(last, live) && dead <= lastDead)
                {
                    continue;
                }

                last = live;
                lastDead = dead;
                ReplicationLog.MembershipChanged(logger, string.Join(",", live.Keys.Order()));
                await ReconcileWithRetry(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Silo shutdown. The enumerator may still have a wait pending, so it is not disposed: it ends with the silo.
            return;
        }

        await updates.DisposeAsync();
    }

    /// <summary>
    /// Asks the registry to re-elect, then checks the result against this silo's view: the registry or a topic grain may
    /// sit on a silo that is stopping (the call is abandoned) or whose membership view lags this one (its election saw
    /// nothing to do). Either way the registry's topics still show a partition needing election, and this tries again.
    /// </summary>
    private async Task ReconcileWithRetry(CancellationToken stopping)
    {
        var giveUp = DateTime.UtcNow + options.Value.ReconcileRetryWindow;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Registry.ReconcileLeaders().WaitAsync(stopping);
                var topics = await Registry.ListTopics().WaitAsync(stopping);
                metrics.Update(topics);
                var live = SiloIds.Live(membership.CurrentSnapshot).Keys.ToHashSet();
                var pending = topics.Count(t => Topics.PartitionElection.NeedsElection(t, live));
                if (pending == 0)
                {
                    return;
                }

                ReplicationLog.ElectionStillPending(logger, pending, attempt);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                // The registry may be re-activating (its silo may be the one that died): try again shortly.
                ReplicationLog.ReconcileAttemptFailed(logger, attempt, ex);
            }

            if (DateTime.UtcNow >= giveUp)
            {
                // The registry's periodic reconcile takes over from here.
                ReplicationLog.ReconcileGaveUp(logger, attempt);
                return;
            }

            await Task.Delay(options.Value.ReconcileRetryDelay, stopping);
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

    [LoggerMessage(EventId = 3501, Level = LogLevel.Warning, Message = "Leader re-election after a membership change failed (attempt {Attempt})")]
    public static partial void ReconcileAttemptFailed(ILogger logger, int attempt, Exception exception);

    [LoggerMessage(EventId = 3502, Level = LogLevel.Debug, Message = "Refreshing the replication metrics from the topic registry failed")]
    public static partial void MetricsRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3503, Level = LogLevel.Information, Message = "{Topics} topic(s) still need leader election after attempt {Attempt}")]
    public static partial void ElectionStillPending(ILogger logger, int topics, int attempt);

    [LoggerMessage(EventId = 3504, Level = LogLevel.Warning, Message = "Gave up re-electing leaders after {Attempts} attempt(s); the registry's periodic reconcile will retry")]
    public static partial void ReconcileGaveUp(ILogger logger, int attempts);
}
