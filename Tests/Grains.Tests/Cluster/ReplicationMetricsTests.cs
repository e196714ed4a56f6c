using System.Diagnostics.Metrics;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests.Cluster;

/// <summary>The replication gauges' figures and their publication on the meter (no cluster).</summary>
public sealed class ReplicationMetricsTests
{
    private sealed record Identity(int SiloId) : ISiloIdentity;

    private static TopicInfo Topic(params PartitionInfo[] partitions) => new("t", Guid.NewGuid(), partitions, new Dictionary<string, string>());

    private static readonly TopicInfo[] Topics =
    [
        Topic(
            new PartitionInfo(0, 1, 0, [1, 2, 3], [1, 2]),
            new PartitionInfo(1, 1, 0, [1, 2, 3], [1, 2, 3]),
            new PartitionInfo(2, 2, 0, [2, 1], [2]),
            new PartitionInfo(3, PartitionInfo.NoLeader, 4, [3, 1], [3])),
        Topic(
            // Reassigning [1,2] -> [1,3]: the target has 2 replicas, both in sync, so not under-replicated.
            new PartitionInfo(0, 1, 0, [1, 3, 2], [1, 3], AddingReplicas: [3], RemovingReplicas: [2]),
            new PartitionInfo(1, PartitionInfo.NoLeader, 0, [2], [2])),
    ];

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 0)]
    public void Under_replicated_counts_partitions_the_silo_leads_and_offline_counts_the_whole_cluster(int silo, int underReplicated)
    {
        var figures = ReplicationFigures.Compute(Topics, silo);

        Assert.Equal(underReplicated, figures.UnderReplicatedPartitions);
        Assert.Equal(2, figures.OfflinePartitions);
    }

    [Fact]
    public void Silo_without_an_id_leads_nothing()
    {
        Assert.Equal(new ReplicationFigures(0, 2), ReplicationFigures.Compute(Topics, siloId: null));
    }

    [Fact]
    public void Gauges_publish_the_last_update_tagged_with_the_silo_id()
    {
        using var metrics = new ReplicationMetrics(new Identity(1));
        var seen = new Dictionary<string, (int Value, object? Silo)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Other in-process silos may publish the same meter name: only this instance's instruments count here.
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                Assert.Equal(ReplicationMetrics.MeterName, instrument.Meter.Name);
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
            seen[instrument.Name] = (value, tags.ToArray().Single(t => t.Key == ReplicationMetrics.SiloTag).Value));
        listener.Start();

        listener.RecordObservableInstruments();
        Assert.Equal(0, seen[ReplicationMetrics.UnderReplicatedName].Value);

        metrics.Update(Topics);
        listener.RecordObservableInstruments();

        Assert.Equal((1, (object?)1), seen[ReplicationMetrics.UnderReplicatedName]);
        Assert.Equal((2, (object?)1), seen[ReplicationMetrics.OfflineName]);
    }
}
