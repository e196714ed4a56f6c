namespace Orleans.Kafka.Grains.Cluster;

/// <summary>Timing of the replication controller's background work (registered by AddKafkaGrains).</summary>
public sealed class ReplicationOptions
{
    /// <summary>
    /// How often the topic registry re-runs leader election for topics its cached view shows needing it (a leader or
    /// ISR member that is not live). Membership changes trigger it at once through <see cref="ReplicaFailoverWatcher"/>;
    /// this is the safety net for a trigger that failed.
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the registry waits for one topic's election before logging it as failed (the watcher retries a second
    /// later, the periodic round after that). Short on purpose: while the registry waits, Orleans cannot finish
    /// deactivating it (it drains running requests first), and a registry whose directory entry died with a silo is being
    /// deactivated exactly then; a topic grain activating meanwhile asks that registry whether its topic exists and waits
    /// for it, so the election it should run waited out this whole bound (seen as a 10 s stall after a leader's kill).
    /// </summary>
    public TimeSpan ReconcileCallTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often each silo refreshes the figures behind the replication metrics from the registry.</summary>
    public TimeSpan MetricsRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a silo keeps retrying after a membership change until the registry's topics show every election done
    /// (the registry may be re-activating after its own silo died); after that the periodic reconcile is left to act.
    /// </summary>
    public TimeSpan ReconcileRetryWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between those attempts.</summary>
    public TimeSpan ReconcileRetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}
