using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// A broker for KIP-848 tests: members are told to heartbeat every 500 ms so assignments move quickly, and a member that
/// stops heartbeating is expired after 6 s (Kafka's 45 s default would make the killed-member test wait that long).
/// </summary>
public sealed class ConsumerProtocolBrokerFixture : IAsyncLifetime
{
    public const int SessionTimeoutMs = 6000;

    public static readonly string[] Args =
    [
        .. GroupBrokerFixture.Args,
        "--Kafka:group.consumer.heartbeat.interval.ms=500",
        $"--Kafka:group.consumer.session.timeout.ms={SessionTimeoutMs}",
    ];

    private readonly TempDirectory _directory = new();
    private InProcessBroker? _broker;

    public string BootstrapServers => (_broker ?? throw new InvalidOperationException("the broker has not started")).BootstrapServers;

    public async Task InitializeAsync() => _broker = await InProcessBroker.StartAsync(_directory.Path, null, Args);

    public async Task DisposeAsync()
    {
        if (_broker is not null) await _broker.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>
/// The consumer-group scenarios again with librdkafka's KIP-848 protocol (group.protocol=consumer): server-side
/// assignment through ConsumerGroupHeartbeat, member-epoch offset commits.
/// </summary>
public sealed class ConsumerGroupProtocolTests(ConsumerProtocolBrokerFixture fixture) : IClassFixture<ConsumerProtocolBrokerFixture>
{
    private const int Partitions = 12;
    private static readonly TimeSpan RebalanceWait = TimeSpan.FromSeconds(60);

    /// <summary>No session/heartbeat/assignment-strategy settings: with group.protocol=consumer the broker owns them.</summary>
    private static ConsumerConfig Config(string bootstrap, string groupId) => new()
    {
        BootstrapServers = bootstrap,
        GroupId = groupId,
        ClientId = "e2e-kip848",
        GroupProtocol = GroupProtocol.Consumer,
        EnableAutoCommit = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        SocketTimeoutMs = 30000,
    };

    [Fact]
    public async Task Three_consumers_share_12_partitions_4_each_and_after_one_closes_the_other_two_own_all_12()
    {
        var topic = "kip848-share";
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, topic, Partitions);
        await ProduceAsync(fixture.BootstrapServers, topic, perPartition: 10, Partitions);
        var config = Config(fixture.BootstrapServers, "kip848-share-g");
        await using var a = GroupConsumer.Start(config, topic, "a");
        await using var b = GroupConsumer.Start(config, topic, "b");
        await using var c = GroupConsumer.Start(config, topic, "c");

        await WaitPartitionedAsync([a, b, c], each: 4);
        await c.CloseAsync();
        await WaitPartitionedAsync([a, b], each: 6);

        await Eventually.TrueAsync(() => a.ReceivedCount + b.ReceivedCount + c.ReceivedCount >= Partitions * 10, RebalanceWait,
            () => $"received {a.ReceivedCount}+{b.ReceivedCount}+{c.ReceivedCount} of {Partitions * 10}");

        using var admin = KafkaClients.Admin(fixture.BootstrapServers);
        var listed = await admin.ListConsumerGroupsAsync();
        Assert.Equal(ConsumerGroupType.Consumer, Assert.Single(listed.Valid, g => g.GroupId == "kip848-share-g").Type);
        var described = Assert.Single((await admin.DescribeConsumerGroupsAsync(["kip848-share-g"])).ConsumerGroupDescriptions);
        Assert.Equal(ConsumerGroupType.Consumer, described.GroupType);
        Assert.Equal(Confluent.Kafka.ErrorCode.NoError, described.Error.Code);
        Assert.Equal("uniform", described.PartitionAssignor);
        Assert.Equal(2, described.Members.Count);
        Assert.Equal(Partitions, described.Members.Sum(m => m.Assignment.TopicPartitions.Count));
    }

    [Fact]
    public async Task A_member_killed_without_leaving_loses_its_partitions_only_after_the_broker_side_session_timeout()
    {
        var topic = "kip848-killed";
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, topic, Partitions);
        var group = "kip848-killed-g";
        var config = Config(fixture.BootstrapServers, group);
        await using var a = GroupConsumer.Start(config, topic, "a");
        await using var b = GroupConsumer.Start(config, topic, "b");
        using var victim = Kip848GroupMember.Start(fixture.BootstrapServers, group, topic);

        // a and b own 4 each and the third member (the child process) reports owning the other 4.
        await Eventually.TrueAsync(
            () => victim.Owned == 4 && a.Owned.Count == 4 && b.Owned.Count == 4 && a.Owned.Union(b.Owned).Count() == 8,
            RebalanceWait, () => $"members never split the partitions 4 each: {a}; {b}; {victim}");
        Assert.False(victim.HasExited, victim.ToString());

        var killedAt = Stopwatch.StartNew();
        await victim.KillAsync();
        await WaitPartitionedAsync([a, b], each: 6);

        // With KIP-848 the session timeout is the broker's group.consumer.session.timeout.ms: the killed member sent no
        // leave heartbeat (epoch -1), so its partitions moved only when the 6 s session expired (less its last heartbeat's age).
        Assert.True(killedAt.Elapsed >= TimeSpan.FromMilliseconds(ConsumerProtocolBrokerFixture.SessionTimeoutMs - 1000),
            $"partitions moved {killedAt.ElapsedMilliseconds} ms after the kill, before the session could time out");
    }

    [Fact]
    public async Task A_regex_subscription_receives_a_topic_created_after_the_consumer_joined()
    {
        var config = Config(fixture.BootstrapServers, "kip848-regex-g");
        config.TopicMetadataRefreshIntervalMs = 1000;
        await using var consumer = GroupConsumer.Start(config, "^kip848-rx-.*", "rx");
        await Eventually.TrueAsync(() => consumer.LastError is null, RebalanceWait, () => consumer.ToString());

        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, "kip848-rx-late", 3);

        await Eventually.TrueAsync(() => consumer.Owned.Count == 3, RebalanceWait, () => "never got the new topic's partitions: " + consumer);
    }

    [Fact]
    public async Task Committed_offsets_resume_exactly_across_a_broker_restart()
    {
        const int perPartition = 50, partitions = 4, commitAfter = 100;
        using var directory = new TempDirectory();
        var topic = "kip848-resume";
        var group = "kip848-resume-g";
        Dictionary<int, long> committed;
        var broker = await InProcessBroker.StartAsync(directory.Path, null, ConsumerProtocolBrokerFixture.Args);
        try
        {
            await KafkaClients.CreateTopicAsync(broker.BootstrapServers, topic, partitions);
            await ProduceAsync(broker.BootstrapServers, topic, perPartition, partitions);
            committed = await Task.Run(() => ReadAndCommit(broker.BootstrapServers, group, topic, partitions, commitAfter));
        }
        finally
        {
            await broker.DisposeAsync();
        }

        broker = await InProcessBroker.StartAsync(directory.Path, null, ConsumerProtocolBrokerFixture.Args);
        try
        {
            var firstSeen = await Task.Run(() => FirstOffsets(broker.BootstrapServers, group, topic, partitions));
            Assert.Equal(committed.OrderBy(kv => kv.Key), firstSeen.OrderBy(kv => kv.Key));
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    private static Task WaitPartitionedAsync(IReadOnlyList<GroupConsumer> members, int each) =>
        Eventually.TrueAsync(
            () =>
            {
                var owned = members.Select(m => m.Owned).ToList();
                return owned.All(o => o.Count == each) && owned.SelectMany(o => o).Distinct().Count() == Partitions;
            },
            RebalanceWait,
            () => "members never split the partitions " + each + " each: " + string.Join("; ", members));

    private static async Task ProduceAsync(string bootstrap, string topic, int perPartition, int partitions)
    {
        using var producer = KafkaClients.Producer(KafkaClients.ProducerConfig(bootstrap));
        var sends = new List<Task<DeliveryResult<byte[], byte[]>>>();
        for (var p = 0; p < partitions; p++)
        {
            for (var i = 0; i < perPartition; i++)
            {
                sends.Add(producer.ProduceAsync(new TopicPartition(topic, p),
                    new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes($"{p}-{i}"), Value = Encoding.UTF8.GetBytes($"v{p}-{i}") }));
            }
        }

        await Task.WhenAll(sends);
    }

    /// <summary>Reads <paramref name="commitAfter"/> records, commits the next offset of every partition (0 if unread), closes.</summary>
    private static Dictionary<int, long> ReadAndCommit(string bootstrap, string group, string topic, int partitions, int commitAfter)
    {
        var next = new Dictionary<int, long>();
        var read = 0;
        using var consumer = KafkaClients.Consumer(Config(bootstrap, group));
        consumer.Subscribe(topic);
        var deadline = DateTime.UtcNow + RebalanceWait;
        while (read < commitAfter)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"read only {read} records");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null || result.IsPartitionEOF) continue;
            read++;
            next[result.Partition.Value] = result.Offset.Value + 1;
        }

        var committed = Enumerable.Range(0, partitions).ToDictionary(p => p, p => next.GetValueOrDefault(p));
        consumer.Commit(committed.Select(kv => new TopicPartitionOffset(topic, kv.Key, kv.Value)));
        consumer.Close();
        return committed;
    }

    /// <summary>The first offset a new member of the group reads from each partition (where it resumes).</summary>
    private static Dictionary<int, long> FirstOffsets(string bootstrap, string group, string topic, int partitions)
    {
        var first = new Dictionary<int, long>();
        var config = Config(bootstrap, group);
        config.AutoOffsetReset = AutoOffsetReset.Latest;

        // A partition read to its end before the commit has no record to show: its end-of-partition event carries the offset.
        config.EnablePartitionEof = true;
        using var consumer = KafkaClients.Consumer(config);
        consumer.Subscribe(topic);
        var deadline = DateTime.UtcNow + RebalanceWait;
        while (first.Count < partitions)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"saw only partitions [{string.Join(",", first.Keys)}] after the restart");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null) continue;
            first.TryAdd(result.Partition.Value, result.Offset.Value);
        }

        consumer.Close();
        return first;
    }
}
