using System.Diagnostics.Metrics;
using Xunit.Abstractions;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Grains.Tests.TopicTestHelpers;

namespace Orleans.Kafka.Grains.Tests.Cluster;

/// <summary>
/// Failover driven by membership: silos are stopped, so every test has its own three-silo cluster (ids 1, 2, 3; silo 1
/// is the TestingHost primary and stays up).
/// </summary>
public sealed class ReplicationFailoverTests(ITestOutputHelper output)
{
    private static async Task<string> NewTopic(IGrainFactory grains, params int[][] assignments)
    {
        var name = UniqueName("failover");
        await grains.CreateOk(Spec(name, assignments: assignments.Select((r, i) => (i, (IReadOnlyList<int>)r)).ToDictionary()));
        return name;
    }

    [Fact]
    public Task Leader_silo_stopping_makes_the_watcher_elect_the_next_in_sync_replica_with_a_new_epoch() => WithCluster(periodicReconcile: false, async cluster =>
    {
        var name = await NewTopic(cluster.Grains, [2, 3, 1], [3, 1, 2]);
        var before = (await cluster.Grains.Registry().GetTopic(name))!;
        using var gauges = new GaugeReader();

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await cluster.StopAsync(2);
        output.WriteLine($"Silo 2 stopped in {stopping.ElapsedMilliseconds} ms.");
        var stopped = System.Diagnostics.Stopwatch.StartNew();

        // No explicit call and no periodic reconcile: the membership watcher must notice and re-elect.
        var moved = await cluster.WaitForPartition(name, 0, p => p.Leader != 2);
        output.WriteLine($"New leader committed {stopped.ElapsedMilliseconds} ms after the leader's silo stopped.");
        Assert.Equal(3, moved.Leader);
        Assert.True(moved.LeaderEpoch > before.Partitions[0].LeaderEpoch, ReplicationClusterFixture.Describe(moved));
        Assert.DoesNotContain(2, moved.Isr);
        Assert.Contains(3, moved.Isr);
        Assert.Equal([2, 3, 1], moved.Replicas);

        var follower = await cluster.WaitForPartition(name, 1, p => !p.Isr.Contains(2));
        Assert.Equal(3, follower.Leader);
        output.WriteLine($"Follower left the ISR after {stopped.ElapsedMilliseconds} ms: {ReplicationClusterFixture.Describe(follower)}");

        // Silo 3 now leads two partitions that miss replica 2.
        await gauges.WaitFor(ReplicationMetrics.UnderReplicatedName, 3, v => v == 2);
        Assert.Equal(0, gauges.Read(ReplicationMetrics.OfflineName, 3));
        output.WriteLine($"Gauges after {stopped.ElapsedMilliseconds} ms.");
    });

    [Fact]
    public Task Partition_whose_whole_isr_died_goes_offline_keeping_its_isr_and_returns_with_its_silo() => WithCluster(periodicReconcile: true, async cluster =>
    {
        var name = await NewTopic(cluster.Grains, [2, 3], [3, 1]);
        using var gauges = new GaugeReader();

        await cluster.StopAsync(2);
        var first = await cluster.WaitForPartition(name, 0, p => p.Leader == 3 && !p.Isr.Contains(2), reconcile: true);
        Assert.Equal([3], first.Isr);

        await cluster.StopAsync(3);
        var offline = await cluster.WaitForPartition(name, 0, p => p.Leader == PartitionInfo.NoLeader, reconcile: true);

        Assert.Equal([3], offline.Isr);
        Assert.True(offline.LeaderEpoch > first.LeaderEpoch, ReplicationClusterFixture.Describe(offline));
        var survivor = await cluster.WaitForPartition(name, 1, p => p.Leader == 1, reconcile: true);
        Assert.Equal([1], survivor.Isr);
        await gauges.WaitFor(ReplicationMetrics.OfflineName, 1, v => v == 1);

        // Reconciling again while no in-sync replica is live changes nothing (no epoch churn).
        await cluster.Grains.Registry().ReconcileLeaders();
        Assert.Equal(offline.LeaderEpoch, (await cluster.Grains.Registry().GetTopic(name))!.Partitions[0].LeaderEpoch);

        await cluster.StartAgainAsync(3);
        var back = await cluster.WaitForPartition(name, 0, p => p.Leader == 3, reconcile: true);
        Assert.True(back.LeaderEpoch > offline.LeaderEpoch);
        Assert.Equal([3], back.Isr);
    });

    /// <param name="periodicReconcile">false turns the registry's periodic reconcile off, so only the watcher can act.</param>
    private async Task WithCluster(bool periodicReconcile, Func<ReplicationClusterFixture, Task> test)
    {
        var cluster = new ReplicationClusterFixture(periodicReconcile ? TimeSpan.FromSeconds(1) : TimeSpan.Zero);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await cluster.InitializeAsync();
            output.WriteLine($"Cluster started in {clock.ElapsedMilliseconds} ms.");
            clock.Restart();
            await test(cluster);
            output.WriteLine($"Test body ran {clock.ElapsedMilliseconds} ms.");
        }
        finally
        {
            clock.Restart();
            await cluster.DisposeAsync();
            output.WriteLine($"Cluster stopped in {clock.ElapsedMilliseconds} ms.");
        }
    }

    /// <summary>Reads the replication gauges of every in-process silo, by silo id tag.</summary>
    private sealed class GaugeReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<(string, int), int> _values = [];

        public GaugeReader()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ReplicationMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == ReplicationMetrics.SiloTag && tag.Value is int silo)
                    {
                        _values[(instrument.Name, silo)] = value;
                    }
                }
            });
            _listener.Start();
        }

        public int? Read(string name, int silo)
        {
            lock (_values)
            {
                _values.Clear();
                _listener.RecordObservableInstruments();
                return _values.TryGetValue((name, silo), out var value) ? value : null;
            }
        }

        public async Task WaitFor(string name, int silo, Func<int, bool> condition)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            int? last = null;
            while (DateTime.UtcNow < deadline)
            {
                last = Read(name, silo);
                if (last is { } value && condition(value))
                {
                    return;
                }

                await Task.Delay(50);
            }

            throw new TimeoutException($"{name} on silo {silo} stayed at {last?.ToString() ?? "none"}.");
        }

        public void Dispose() => _listener.Dispose();
    }
}
