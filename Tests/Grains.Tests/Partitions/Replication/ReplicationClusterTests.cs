using Orleans.Kafka.Cluster;
using Orleans.Kafka.Grains.Tests.Cluster;
using Orleans.Kafka.Grains.Tests.PartitionGrains;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests.Replication;

/// <summary>
/// Replication across three silos (TestingHost, silo ids 1-3, a shared grain store that outlives silos): followers copy
/// the leader, acks=-1 waits for the ISR, ISR shrinks when silos stop, leadership moves to an in-sync replica with a
/// new epoch, a returning replica catches up and rejoins, and a divergent suffix is truncated by leader epoch.
/// Each test runs its own cluster (they stop silos).
/// </summary>
public sealed class ReplicationClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly SiloIdClusterFixture _cluster = new(o =>
    {
        o.ReplicaLagTimeMaxMs = 3000;
        o.ReplicaFetchWaitMaxMs = 200;
        o.LogCleanerBackoffMs = 200;
    });

    private IGrainFactory Grains => _cluster.Grains;

    public Task InitializeAsync() => _cluster.InitializeAsync();

    public Task DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Acks_all_answers_once_every_in_sync_replica_has_the_batch_and_followers_hold_the_same_log()
    {
        var topic = await CreateReplicatedTopic("copies", minInsync: 2);
        var leader = topic.Partitions[0].Leader;

        for (var i = 0; i < 5; i++)
        {
            var appended = await ProduceAllAcks(topic, PartitionTestSupport.Batch($"v{i}a", $"v{i}b"));
            Assert.Equal(2L * i, appended);
        }

        var state = await Grains.GetPartitionGrain(topic.Name, 0).GetReplicaState();
        Assert.Equal(10, state.LogEndOffset);
        Assert.Equal(10, state.HighWatermark);
        foreach (var follower in topic.Partitions[0].Replicas.Where(r => r != leader))
        {
            // acks=-1 answered, so every ISR member had the records; a follower's own state shows it.
            var copy = await Eventually(async () => await Grains.GetReplicaGrain(topic.Name, 0, follower).GetState() is { LogEndOffset: 10 } s ? s : null);
            Assert.True(copy.IsOpen);
            Assert.Equal(state.LeaderEpoch, copy.LeaderEpoch);
        }

        var fetched = await Grains.GetPartitionGrain(topic.Name, 0).Fetch(topic, 0);
        Assert.Equal(10, PartitionTestSupport.Values(fetched.Records).Count);
    }

    [Fact]
    public async Task Leader_loss_moves_leadership_to_an_in_sync_replica_with_a_new_epoch_and_keeps_every_acknowledged_record()
    {
        var topic = await CreateReplicatedTopic("failover", minInsync: 2);
        var before = topic.Partitions[0];
        for (var i = 0; i < 3; i++)
        {
            await ProduceAllAcks(topic, PartitionTestSupport.Batch($"before-{i}"));
        }

        var epochBefore = (await Grains.GetPartitionGrain(topic.Name, 0).GetReplicaState()).LeaderEpoch;
        await _cluster.StopAsync(before.Leader);

        var after = await Eventually(async () => await PartitionOf(topic.Name) is { } p && p.Leader >= 0 && p.Leader != before.Leader ? p : null);
        Assert.Contains(after.Leader, before.Isr);
        Assert.True(after.LeaderEpoch > epochBefore, $"epoch {after.LeaderEpoch} should be above {epochBefore}");
        Assert.DoesNotContain(before.Leader, after.Isr);

        var values = await Eventually(async () => await FetchValues(topic) is { Count: 3 } v ? v : null);
        Assert.Equal([(0L, "before-0"), (1L, "before-1"), (2L, "before-2")], values);
        // A gateway still waiting for the old leader's acks=-1 asks the partition again and the new leader answers for the
        // batch it holds (by its epoch history), rather than "not persisted", which an idempotent client would resend.
        var waitFromOldEpoch = await Grains.GetPartitionGrain(topic.Name, 0).AwaitReplication(topic.TopicId, 3, epochBefore, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(KafkaErrorCode.None, waitFromOldEpoch);
        Assert.Equal(3L, await ProduceAllAcks(topic, PartitionTestSupport.Batch("after")));

        // The old leader's silo returns: its copy follows the new leader, catches up and rejoins the ISR.
        await _cluster.StartAgainAsync(before.Leader);
        var rejoined = await Eventually(async () => await PartitionOf(topic.Name) is { } p && p.Isr.Contains(before.Leader) ? p : null);
        Assert.Equal(after.Leader, rejoined.Leader);
        var copy = await Grains.GetReplicaGrain(topic.Name, 0, before.Leader).GetState();
        Assert.Equal(4, copy.LogEndOffset);
    }

    [Fact]
    public async Task Acks_all_is_refused_with_not_enough_replicas_when_the_isr_is_below_min_insync_replicas()
    {
        var topic = await CreateReplicatedTopic("min-isr", minInsync: 2);
        var partition = topic.Partitions[0];
        await ProduceAllAcks(topic, PartitionTestSupport.Batch("while-all-in-sync"));

        foreach (var follower in partition.Replicas.Where(r => r != partition.Leader))
        {
            await _cluster.StopAsync(follower);
        }

        var shrunk = await Eventually(async () => await PartitionOf(topic.Name) is { Isr.Count: 1 } p ? p : null);

        // The controller tells the leader without waiting for it; handing the leader the committed state here makes the
        // produce below meet the shrunk ISR rather than race the notification (a produce that won it would append).
        await Grains.GetPartitionGrain(topic.Name, 0).PartitionChanged(topic.TopicId, shrunk);
        var refused = await Grains.GetPartitionGrain(topic.Name, 0).Produce(topic, PartitionTestSupport.Batch("refused"), acks: -1);
        Assert.Equal(KafkaErrorCode.NotEnoughReplicas, refused.Error);
        Assert.Contains("min.insync.replicas", refused.ErrorMessage, StringComparison.Ordinal);

        // Nothing was appended for the refused batch; acks=1 still writes to the leader alone.
        var accepted = await Grains.GetPartitionGrain(topic.Name, 0).ProduceOk(topic, PartitionTestSupport.Batch("acks-1"));
        Assert.Equal(1, accepted.BaseOffset);
    }

    [Fact]
    public async Task With_no_in_sync_replica_live_the_partition_stays_offline_and_an_unclean_leader_truncates_the_old_leaders_suffix()
    {
        var topic = await CreateReplicatedTopic("unclean", minInsync: 1);
        var partition = topic.Partitions[0];
        var leader = partition.Leader;
        var followers = partition.Replicas.Where(r => r != leader).ToArray();
        await ProduceAllAcks(topic, PartitionTestSupport.Batch("shared"));

        // Only the leader gets "leader-only": both followers are gone and the ISR shrinks to the leader.
        foreach (var follower in followers)
        {
            await _cluster.StopAsync(follower);
        }

        await Eventually(async () => await PartitionOf(topic.Name) is { Isr.Count: 1 } p ? p : null);
        await Grains.GetPartitionGrain(topic.Name, 0).ProduceOk(topic, PartitionTestSupport.Batch("leader-only-1", "leader-only-2"));
        var oldEpoch = (await Grains.GetPartitionGrain(topic.Name, 0).GetReplicaState()).LeaderEpoch;

        await _cluster.StopAsync(leader);
        foreach (var follower in followers)
        {
            await _cluster.StartAgainAsync(follower);
        }

        // unclean.leader.election.enable=false: the out-of-sync followers do not lead; the partition is offline.
        var offline = await Eventually(async () => await PartitionOf(topic.Name) is { Leader: PartitionInfo.NoLeader } p ? p : null);
        Assert.Equal([leader], offline.Isr);
        await Assert.ThrowsAnyAsync<Exception>(() => Grains.GetPartitionGrain(topic.Name, 0).GetOffsets());

        // Allowing an unclean election makes a follower lead without the old leader's last records.
        Assert.True((await Grains.GetGrain<ITopicGrain>(topic.Name).AlterConfigs([new ConfigAlteration("unclean.leader.election.enable", AlterConfigOp.Set, "true")], false)).IsOk);
        await Grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key).ReconcileLeaders();
        var unclean = await Eventually(async () => await PartitionOf(topic.Name) is { Leader: > 0 } p ? p : null);
        Assert.Contains(unclean.Leader, followers);
        Assert.Equal(1L, await ProduceAllAcks(topic, PartitionTestSupport.Batch("new-leader")));
        // The old leader's epoch wrote offsets 0-2; the new leader holds only offset 0 of it, so a wait for the lost suffix
        // is answered "not persisted" while one for the shared record completes.
        var leader2 = Grains.GetPartitionGrain(topic.Name, 0);
        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, await leader2.AwaitReplication(topic.TopicId, 3, oldEpoch, TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Equal(KafkaErrorCode.None, await leader2.AwaitReplication(topic.TopicId, 1, oldEpoch, TimeSpan.FromSeconds(5), CancellationToken.None));

        // The old leader returns as a follower: its divergent suffix (offsets 1-2) is truncated and replaced.
        await _cluster.StartAgainAsync(leader);
        var copy = await Eventually(async () => await Grains.GetReplicaGrain(topic.Name, 0, leader).GetState() is { IsOpen: true, LogEndOffset: 2 } s ? s : null);
        Assert.Equal(2, copy.LogEndOffset);
        var values = await FetchValues(topic);
        Assert.Equal([(0L, "shared"), (1L, "new-leader")], values);
    }

    [Fact]
    public async Task Follower_fetches_and_acks_waits_from_another_epoch_are_refused_by_the_leader()
    {
        var topic = await CreateReplicatedTopic("fencing", minInsync: 1);
        var partition = topic.Partitions[0];
        var leader = Grains.GetPartitionGrain(topic.Name, 0);
        var epoch = (await leader.GetReplicaState()).LeaderEpoch;
        var follower = partition.Replicas.First(r => r != partition.Leader);

        var stale = await leader.ReplicaFetch(new ReplicaFetchCommand(topic.TopicId, follower, epoch - 1, 0, 1 << 20, TimeSpan.Zero), CancellationToken.None);
        var newer = await leader.ReplicaFetch(new ReplicaFetchCommand(topic.TopicId, follower, epoch + 1, 0, 1 << 20, TimeSpan.Zero), CancellationToken.None);
        var stranger = await leader.ReplicaFetch(new ReplicaFetchCommand(topic.TopicId, 99, epoch, 0, 1 << 20, TimeSpan.Zero), CancellationToken.None);

        // An acks=-1 wait names the epoch that appended: another incarnation's log may hold other records at that offset.
        var otherIncarnation = await leader.AwaitReplication(topic.TopicId, 0, epoch - 1, TimeSpan.FromSeconds(1), CancellationToken.None);

        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, otherIncarnation);
        Assert.Equal(KafkaErrorCode.FencedLeaderEpoch, stale.Error);
        Assert.Equal(KafkaErrorCode.UnknownLeaderEpoch, newer.Error);
        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, stranger.Error);
        Assert.Equal(epoch, stale.LeaderEpoch);
    }

    [Fact]
    public async Task A_leader_reactivated_on_its_own_silo_keeps_the_high_watermark()
    {
        var topic = await CreateReplicatedTopic("reactivated", minInsync: 3);
        for (var i = 0; i < 3; i++)
        {
            await ProduceAllAcks(topic, PartitionTestSupport.Batch($"r{i}"));
        }

        var leader = Grains.GetPartitionGrain(topic.Name, 0);
        var before = await leader.GetReplicaState();
        Assert.Equal(3, before.HighWatermark);

        // What Orleans does to a leader whose directory entry died with another silo: deactivate it; the next call
        // activates it again on the same silo, with a new epoch. Its followers have not fetched from it yet.
        await leader.AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        var after = await Eventually(async () => await leader.GetReplicaState() is { IsOpen: true } s && s.LeaderEpoch > before.LeaderEpoch ? s : null);

        // The committed offsets stay readable (Kafka's high watermark never steps back for a client): a new consumer
        // asking for the latest offset must not be sent back to the log start.
        Assert.Equal(3, after.HighWatermark);
        var latest = await leader.ListOffset(new ListOffsetCommand(topic.TopicId, OffsetSpec.Latest, FetchIsolation.ReadUncommitted, -1));
        Assert.Equal(3, latest.Offset);
    }

    [Fact]
    public async Task Followers_of_a_compacted_topic_compact_their_own_copies()
    {
        // One-record batches (~75 bytes) fill a 120-byte segment each, so every append closes the previous segment.
        var topic = await CreateReplicatedTopic("compact", minInsync: 3, configs: new Dictionary<string, string?>
        {
            ["cleanup.policy"] = "compact",
            ["segment.bytes"] = "120",
            ["min.cleanable.dirty.ratio"] = "0.01",
        });
        const int writes = 8;
        for (var i = 0; i < writes; i++)
        {
            await ProduceAllAcks(topic, PartitionTestSupport.KeyedBatch(Storage.Compression.CompressionType.None, (i % 2 == 0 ? "k1" : "k2", $"v{i}")));
        }

        // Every copy held all eight records once the ISR acknowledged them; each follower's own cleaner then drops the
        // superseded values of its closed segments (Kafka runs a log cleaner on every replica, not only the leader).
        var followers = topic.Partitions[0].Replicas.Where(r => r != topic.Partitions[0].Leader).ToArray();
        foreach (var follower in followers)
        {
            var records = await Eventually(async () =>
            {
                await Task.Yield();
                var copy = CopyRecords(_cluster.LogDirsOfSilo(follower), topic.Name);
                return copy.Count < writes ? copy : null;
            });
            Assert.Contains(records, r => r.Key == "k1" && r.Value == "v6");
            Assert.Contains(records, r => r.Key == "k2" && r.Value == "v7");
            Assert.Equal(records.OrderBy(r => r.Offset).Select(r => r.Offset), records.Select(r => r.Offset));
        }
    }

    /// <summary>(offset, key, value) of every record in a copy's segment files, read from disk (the copy stays open).</summary>
    private static List<(long Offset, string Key, string? Value)> CopyRecords(string logDirs, string topic)
    {
        var result = new List<(long, string, string?)>();
        var scratch = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var segment in Directory.EnumerateFiles(Path.Combine(logDirs, $"{topic}-0"), "*.log").Order(StringComparer.Ordinal))
        {
            byte[] bytes;
            using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
            }

            var span = bytes.AsSpan();
            while (Storage.Records.RecordBatchHeader.TryRead(span, out var header) && header.TotalSize > Storage.Records.RecordBatchHeader.LogOverhead && header.TotalSize <= span.Length)
            {
                var records = Storage.Records.RecordBatch.GetRecords(span[..header.TotalSize], header, scratch);
                while (records.MoveNext())
                {
                    var record = records.Current;
                    result.Add((header.BaseOffset + record.OffsetDelta, System.Text.Encoding.UTF8.GetString(record.Key),
                        record.ValueIsNull ? null : System.Text.Encoding.UTF8.GetString(record.Value)));
                }

                span = span[header.TotalSize..];
            }
        }

        return result;
    }

    [Fact]
    public async Task Reassignment_moves_replicas_and_leadership_to_a_newly_added_silo_while_the_partition_keeps_serving()
    {
        var topic = await CreateReplicatedTopic("move", minInsync: 1, replicationFactor: 2);
        var original = topic.Partitions[0];
        for (var i = 0; i < 20; i++)
        {
            await ProduceAllAcks(topic, PartitionTestSupport.Batch($"before-{i}"));
        }

        await _cluster.Cluster.StartAdditionalSiloAsync(); // silo id 4
        await _cluster.Cluster.WaitForLivenessToStabilizeAsync();
        int[] target = [4, original.Replicas.First(r => r != original.Leader)];
        var started = await Eventually(async () => await Grains.GetGrain<ITopicGrain>(topic.Name).AlterReassignment(0, target) is { IsOk: true } r ? r : null);
        Assert.True(started.IsOk);

        // Produce while the move runs: every answer is a success (a leader change may need a retry, as clients do).
        var produced = 20L;
        var done = await Eventually(async () =>
        {
            await ProduceAllAcks(topic, PartitionTestSupport.Batch($"during-{produced}"));
            produced++;
            return await PartitionOf(topic.Name) is { IsReassigning: false, Leader: 4 } p && p.Isr.Count == 2 ? p : null;
        });

        Assert.Equal(target, done.Replicas);
        Assert.Equal(target.Order(), done.Isr.Order());
        Assert.True(done.LeaderEpoch > original.LeaderEpoch);
        var values = await Eventually(async () => await FetchValues(topic) is { } v && v.Count == produced ? v : null);
        Assert.Equal(Enumerable.Range(0, (int)produced).Select(i => (long)i), values.Select(v => v.Offset));
        Assert.Equal("before-0", values[0].Value);

        // The silo that left the replica set drops its copy.
        var removed = original.Leader == target[1] ? original.Replicas.First(r => r != target[1]) : original.Leader;
        var removedDirectory = SiloIdClusterFixture.PartitionDirectoryOf(_cluster.LogDirsOfSilo(removed), topic.Name, 0);
        await Eventually(() => Task.FromResult(Directory.Exists(removedDirectory) ? null : "gone"));
    }

    private async Task<TopicInfo> CreateReplicatedTopic(string prefix, int minInsync, short replicationFactor = 3, IReadOnlyDictionary<string, string?>? configs = null)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}";
        var all = new Dictionary<string, string?>(configs ?? new Dictionary<string, string?>())
        {
            ["min.insync.replicas"] = minInsync.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var created = await Grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key).CreateTopic(
            new CreateTopicSpec(name, 1, replicationFactor, null, all),
            validateOnly: false);
        Assert.Equal(KafkaErrorCode.None, created.Error);
        Assert.Equal(replicationFactor, created.Topic!.Partitions[0].Replicas.Count);
        return created.Topic;
    }

    /// <summary>Produces with acks=-1 and waits for the ISR as the gateway does; returns the base offset.</summary>
    private async Task<long> ProduceAllAcks(TopicInfo topic, byte[] batch)
    {
        var grain = Grains.GetPartitionGrain(topic.Name, 0);
        var result = await Eventually(async () =>
        {
            try
            {
                return await grain.Produce(topic, batch, acks: -1) is { Error: KafkaErrorCode.None } ok ? ok : null;
            }
            catch (Exception ex) when (ex.ToString().Contains(PartitionUnavailableException.Marker, StringComparison.Ordinal))
            {
                return null; // leadership is moving
            }
        });
        if (result.AwaitsReplication)
        {
            Assert.Equal(KafkaErrorCode.None, await grain.AwaitReplication(topic.TopicId, result.AwaitOffset, result.AwaitEpoch, TimeSpan.FromSeconds(30), CancellationToken.None));
        }

        return result.BaseOffset;
    }

    private async Task<List<(long Offset, string Value)>?> FetchValues(TopicInfo topic)
    {
        try
        {
            var fetched = await Grains.GetPartitionGrain(topic.Name, 0).Fetch(topic, 0);
            return fetched.Error == KafkaErrorCode.None ? PartitionTestSupport.Values(fetched.Records) : null;
        }
        catch (Exception ex) when (ex.ToString().Contains(PartitionUnavailableException.Marker, StringComparison.Ordinal))
        {
            return null;
        }
    }

    private async Task<PartitionInfo?> PartitionOf(string topic) =>
        (await Grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key).GetTopic(topic))?.Partitions[0];

    /// <summary>
    /// Retries <paramref name="attempt"/> until it yields a value or the deadline passes (then fails with the last error).
    /// Failures count as "not yet": the test client may still be connected through a silo the test just stopped.
    /// </summary>
    private static async Task<T> Eventually<T>(Func<Task<T?>> attempt)
        where T : class
    {
        using var deadline = new CancellationTokenSource(Deadline);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await attempt() is { } value)
                {
                    return value;
                }
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                last = ex;
            }

            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"Condition not met within {Deadline}.", last);
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }
}
