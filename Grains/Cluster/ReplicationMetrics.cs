using System.Diagnostics.Metrics;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Cluster;

/// <summary>The figures behind the replication gauges, computed from one registry snapshot.</summary>
public sealed record ReplicationFigures(int UnderReplicatedPartitions, int OfflinePartitions)
{
    public static readonly ReplicationFigures Empty = new(0, 0);

    /// <summary>
    /// Under-replicated: partitions <paramref name="siloId"/> leads whose ISR is smaller than the replica set they should
    /// have (during a reassignment, the target set, as Kafka counts it). Offline: partitions of the whole cluster with no
    /// leader. <paramref name="siloId"/> null (a silo without an id) leads nothing.
    /// </summary>
    public static ReplicationFigures Compute(IEnumerable<TopicInfo> topics, int? siloId)
    {
        ArgumentNullException.ThrowIfNull(topics);
        int underReplicated = 0, offline = 0;
        foreach (var partition in topics.SelectMany(t => t.Partitions))
        {
            if (partition.Leader == PartitionInfo.NoLeader)
            {
                offline++;
            }
            else if (partition.Leader == siloId && partition.Isr.Count < partition.Replicas.Count - partition.Removing.Count)
            {
                underReplicated++;
            }
        }

        return new ReplicationFigures(underReplicated, offline);
    }
}

/// <summary>
/// The silo's replication gauges on the meter <see cref="MeterName"/>:
/// <list type="bullet">
/// <item><c>kafka.server.under_replicated_partitions</c>: partitions this silo leads whose ISR is short (Kafka's
///   UnderReplicatedPartitions, a per-broker figure; sum over silos for the cluster).</item>
/// <item><c>kafka.controller.offline_partitions</c>: partitions without a leader. A cluster-wide figure that every silo
///   reports (Kafka reports it on the active controller only; here every silo sees the same registry), so take the
///   maximum over silos, not the sum.</item>
/// </list>
/// Both carry the tag <c>silo.id</c> (-1 on silos without an id). Values come from <see cref="Update"/>, which
/// <see cref="ReplicaFailoverWatcher"/> calls every <see cref="ReplicationOptions.MetricsRefreshInterval"/>.
/// </summary>
public sealed class ReplicationMetrics : IDisposable
{
    public const string MeterName = "Orleans.Kafka.Replication";
    public const string UnderReplicatedName = "kafka.server.under_replicated_partitions";
    public const string OfflineName = "kafka.controller.offline_partitions";
    public const string SiloTag = "silo.id";

    private readonly Meter _meter = new(MeterName);
    private readonly int? _siloId;
    private readonly KeyValuePair<string, object?>[] _tags;
    private ReplicationFigures _current = ReplicationFigures.Empty;

    public ReplicationMetrics(ISiloIdentity? identity)
    {
        _siloId = identity?.SiloId;
        _tags = [new(SiloTag, _siloId ?? -1)];
        _meter.CreateObservableGauge(UnderReplicatedName, () => new Measurement<int>(Current.UnderReplicatedPartitions, _tags),
            unit: "{partition}", description: "Partitions this silo leads whose in-sync replica set is smaller than their replica set.");
        _meter.CreateObservableGauge(OfflineName, () => new Measurement<int>(Current.OfflinePartitions, _tags),
            unit: "{partition}", description: "Partitions of the cluster without a leader (cluster-wide; every silo reports it).");
    }

    /// <summary>This silo's meter (one per silo: several in-process silos each have their own instance of the name).</summary>
    internal Meter Meter => _meter;

    /// <summary>The figures as of the last refresh (also what an admin view can show).</summary>
    public ReplicationFigures Current => Volatile.Read(ref _current);

    public void Update(IEnumerable<TopicInfo> topics) => Volatile.Write(ref _current, ReplicationFigures.Compute(topics, _siloId));

    public void Dispose() => _meter.Dispose();
}
