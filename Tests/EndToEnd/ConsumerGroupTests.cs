using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// Consumer groups (classic protocol) with real Confluent.Kafka consumers: sharing partitions, rebalancing when a
/// member leaves or dies, resuming from committed offsets across a broker restart, cooperative-sticky assignment.
/// </summary>
public sealed class ConsumerGroupTests(GroupBrokerFixture fixture) : IClassFixture<GroupBrokerFixture>
{
    private const int Partitions = 12;
    private static readonly TimeSpan RebalanceWait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_consumers_share_12_partitions_4_each_and_after_one_closes_the_other_two_own_all_12()
    {
        var topic = "group-share";
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, topic, Partitions);
        await ProduceAsync(fixture.BootstrapServers, topic, perPartition: 10);
        var config = GroupConsumer.Config(fixture.BootstrapServers, "group-share-g", PartitionAssignmentStrategy.Range);
        await using var a = GroupConsumer.Start(config, topic, "a");
        await using var b = GroupConsumer.Start(config, topic, "b");
        await using var c = GroupConsumer.Start(config, topic, "c");

        await WaitPartitionedAsync([a, b, c], each: 4);
        await c.CloseAsync();
        await WaitPartitionedAsync([a, b], each: 6);

        // Between them the members read every record (the topic holds 10 per partition).
        await Eventually.TrueAsync(() => a.ReceivedCount + b.ReceivedCount + c.ReceivedCount >= Partitions * 10, RebalanceWait,
            () => $"received {a.ReceivedCount}+{b.ReceivedCount}+{c.ReceivedCount} of {Partitions * 10}");
    }

    [Fact]
    public async Task A_member_killed_without_leaving_loses_its_partitions_once_its_session_times_out()
    {
        Assert.True(KcatGroupMember.Available, "kcat must be installed (Debian package kcat) to run the killed-member scenario");
        var topic = "group-killed";
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, topic, Partitions);
        var group = "group-killed-g";
        var config = GroupConsumer.Config(fixture.BootstrapServers, group, PartitionAssignmentStrategy.Range);
        await using var a = GroupConsumer.Start(config, topic, "a");
        await using var b = GroupConsumer.Start(config, topic, "b");
        using var victim = KcatGroupMember.Start(fixture.BootstrapServers, group, topic);

        // a and b own 4 each, so the third member (kcat) owns the other 4.
        await WaitPartitionedAsync([a, b], each: 4, total: 8);
        Assert.False(victim.HasExited, "kcat exited early");

        var killedAt = Stopwatch.StartNew();
        await victim.KillAsync();
        await WaitPartitionedAsync([a, b], each: 6);

        // No LeaveGroup came: the partitions moved only when the 6 s session expired (less the last heartbeat's age).
        Assert.True(killedAt.Elapsed >= TimeSpan.FromSeconds(5), $"partitions moved {killedAt.ElapsedMilliseconds} ms after the kill, before the session could time out");
    }

    [Fact]
    public async Task Committed_offsets_resume_exactly_across_a_broker_restart()
    {
        const int perPartition = 100, partitions = 4, committedCount = 200, uncommittedCount = 40;
        using var directory = new TempDirectory();
        var topic = "group-resume";
        var group = "group-resume-g";
        var broker = await InProcessBroker.StartAsync(directory.Path, null, GroupBrokerFixture.Args);
        Dictionary<int, long> committed;
        List<(int Partition, long Offset)> firstRun;
        try
        {
            await KafkaClients.CreateTopicAsync(broker.BootstrapServers, topic, partitions);
            await ProduceAsync(broker.BootstrapServers, topic, perPartition, partitions);

            // Read 200 records and commit them, read 40 more without committing, then close.
            (committed, firstRun) = await Task.Run(() => ReadThenCommit(broker.BootstrapServers, group, topic, partitions, committedCount, uncommittedCount));
        }
        finally
        {
            await broker.DisposeAsync();
        }

        broker = await InProcessBroker.StartAsync(directory.Path, null, GroupBrokerFixture.Args);
        try
        {
            var expectedTotal = partitions * perPartition;
            var secondRun = await Task.Run(() => ReadToEnd(broker.BootstrapServers, group, topic, partitions));

            // Each partition resumes at exactly its committed offset and reads on without gaps or repeats.
            foreach (var partition in Enumerable.Range(0, partitions))
            {
                var offsets = secondRun.Where(r => r.Partition == partition).Select(r => r.Offset).ToList();
                var from = committed[partition];
                Assert.Equal(Enumerable.Range((int)from, perPartition - (int)from).Select(o => (long)o), offsets);
            }

            // Nothing lost; what is read twice is exactly the uncommitted window of the first run.
            var all = firstRun.Concat(secondRun).ToList();
            Assert.Equal(expectedTotal, all.Distinct().Count());
            var repeated = firstRun.Intersect(secondRun).Count();
            Assert.Equal(uncommittedCount, repeated);
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task Cooperative_sticky_keeps_unmoved_partitions_in_place_when_a_member_leaves()
    {
        var topic = "group-sticky";
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, topic, Partitions);
        var config = GroupConsumer.Config(fixture.BootstrapServers, "group-sticky-g", PartitionAssignmentStrategy.CooperativeSticky);
        await using var a = GroupConsumer.Start(config, topic, "a");
        await using var b = GroupConsumer.Start(config, topic, "b");
        await using var c = GroupConsumer.Start(config, topic, "c");
        await WaitPartitionedAsync([a, b, c], each: 4);
        var beforeA = a.Owned;
        var beforeB = b.Owned;
        a.ForgetRevocations();
        b.ForgetRevocations();

        await c.CloseAsync();
        await WaitPartitionedAsync([a, b], each: 6);

        // The survivors only gained partitions: none of theirs was revoked or moved.
        Assert.Empty(a.Revoked);
        Assert.Empty(b.Revoked);
        Assert.Superset(new HashSet<int>(beforeA), new HashSet<int>(a.Owned));
        Assert.Superset(new HashSet<int>(beforeB), new HashSet<int>(b.Owned));
    }

    /// <summary>Waits until the members own disjoint sets of <paramref name="each"/> partitions covering <paramref name="total"/> (default all).</summary>
    private static Task WaitPartitionedAsync(IReadOnlyList<GroupConsumer> members, int each, int total = Partitions) =>
        Eventually.TrueAsync(
            () =>
            {
                var owned = members.Select(m => m.Owned).ToList();
                return owned.All(o => o.Count == each) && owned.SelectMany(o => o).Distinct().Count() == total;
            },
            RebalanceWait,
            () => "members never split the partitions " + each + " each: " + string.Join("; ", members));

    private static async Task ProduceAsync(string bootstrap, string topic, int perPartition, int partitions = Partitions)
    {
        using var producer = KafkaClients.Producer(KafkaClients.ProducerConfig(bootstrap));
        var sends = new List<Task<DeliveryResult<byte[], byte[]>>>();
        for (var p = 0; p < partitions; p++)
        {
            for (var i = 0; i < perPartition; i++)
            {
                var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes($"{p}-{i}"), Value = Encoding.UTF8.GetBytes($"value {p}-{i}") };
                sends.Add(producer.ProduceAsync(new TopicPartition(topic, p), message));
            }
        }

        await Task.WhenAll(sends);
    }

    private static (Dictionary<int, long> Committed, List<(int, long)> Read) ReadThenCommit(
        string bootstrap, string group, string topic, int partitions, int commitAfter, int thenRead)
    {
        var read = new List<(int, long)>();
        var next = new Dictionary<int, long>();
        Dictionary<int, long>? committed = null;
        using var consumer = KafkaClients.Consumer(GroupConsumer.Config(bootstrap, group, PartitionAssignmentStrategy.Range));
        consumer.Subscribe(topic);
        var deadline = DateTime.UtcNow + RebalanceWait;
        while (read.Count < commitAfter + thenRead)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"read only {read.Count} records");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null || result.IsPartitionEOF) continue;
            read.Add((result.Partition.Value, result.Offset.Value));
            next[result.Partition.Value] = result.Offset.Value + 1;
            if (read.Count == commitAfter)
            {
                // Every partition gets a commit, 0 where nothing was read yet (librdkafka reads partitions in bursts).
                committed = Enumerable.Range(0, partitions).ToDictionary(p => p, p => next.GetValueOrDefault(p));
                consumer.Commit(committed.Select(kv => new TopicPartitionOffset(topic, kv.Key, kv.Value)));
            }
        }

        // The broker holds exactly what was committed.
        var stored = consumer.Committed(TimeSpan.FromSeconds(30));
        Assert.Equal(committed!.OrderBy(kv => kv.Key), stored.Where(s => s.Offset != Offset.Unset).Select(s => KeyValuePair.Create(s.Partition.Value, s.Offset.Value)).OrderBy(kv => kv.Key));
        consumer.Close();
        return (committed!, read);
    }

    /// <summary>Reads until every partition reported its end (partition EOF), so repeats would show as extra records.</summary>
    private static List<(int Partition, long Offset)> ReadToEnd(string bootstrap, string group, string topic, int partitions)
    {
        var read = new List<(int, long)>();
        var atEnd = new HashSet<int>();
        var config = GroupConsumer.Config(bootstrap, group, PartitionAssignmentStrategy.Range);
        config.EnablePartitionEof = true;

        // With nothing committed a partition would start at its end: then the exact-resume assertion fails loudly.
        config.AutoOffsetReset = AutoOffsetReset.Latest;
        using var consumer = KafkaClients.Consumer(config);
        consumer.Subscribe(topic);
        var deadline = DateTime.UtcNow + RebalanceWait;
        while (atEnd.Count < partitions)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"read {read.Count} records after the restart; at the end of [{string.Join(",", atEnd)}] only");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null) continue;
            if (result.IsPartitionEOF)
            {
                atEnd.Add(result.Partition.Value);
                continue;
            }

            atEnd.Remove(result.Partition.Value);
            read.Add((result.Partition.Value, result.Offset.Value));
        }

        consumer.Close();
        return read;
    }
}
