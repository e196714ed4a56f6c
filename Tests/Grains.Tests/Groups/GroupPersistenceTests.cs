using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Grains.Tests.Groups.GroupTestSupport;

namespace Orleans.Kafka.Grains.Tests.Groups;

/// <summary>Committed offsets on disk (the project's file grain storage) across silo restarts, and their expiry.</summary>
public sealed class GroupPersistenceTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "okafka-groups-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Offsets_and_generation_survive_a_silo_restart_and_old_members_must_rejoin()
    {
        var groupId = NewGroupId();
        JoinGroupResult joined;
        await using (var cluster = await TopicClusters.StartAsync(1, configure: FastGroups, fileStorageRoot: _root))
        {
            var group = cluster.Client.Group(groupId);
            joined = await group.JoinAndSyncAlone(JoinCommand());
            await group.CommitOffsets(GroupOffsetTests.AsMember(joined, ("t", 0, 42), ("t", 1, 7)));
        }

        await using (var restarted = await TopicClusters.StartAsync(1, configure: FastGroups, fileStorageRoot: _root))
        {
            var group = restarted.Client.Group(groupId);
            var fetched = await group.FetchOffsets(null, false);
            var heartbeat = await group.Heartbeat(joined.GenerationId, joined.MemberId, null);
            var rejoined = await group.JoinOk(JoinCommand());

            Assert.Equal([new FetchedOffset("t", 0, 42, 3, "meta-42"), new FetchedOffset("t", 1, 7, 3, "meta-7")], fetched.Offsets);
            Assert.Equal(KafkaErrorCode.UnknownMemberId, heartbeat);
            Assert.Equal(joined.GenerationId + 1, rejoined.GenerationId);
            Assert.Contains(groupId, await restarted.Client.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key).ListGroupIds());
        }
    }

    [Fact]
    public async Task Offsets_expire_after_their_retention_and_an_empty_group_without_offsets_is_removed()
    {
        await using var cluster = await TopicClusters.StartAsync(1, configure: o =>
        {
            FastGroups(o);
            o.OffsetsRetentionCheckIntervalMs = 100;
        });
        var kept = cluster.Client.Group(NewGroupId());
        var expiringId = NewGroupId();
        var expiring = cluster.Client.Group(expiringId);
        var registry = cluster.Client.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key);

        // v2-v4's retention_time_ms gives a commit its own expiry; without it the broker's 7 days apply.
        await kept.CommitOffsets(GroupOffsetTests.Simple(("t", 0, 1)) with { RetentionTimeMs = 1500 });
        await kept.CommitOffsets(GroupOffsetTests.Simple(("t", 1, 2)));
        await expiring.CommitOffsets(GroupOffsetTests.Simple(("t", 0, 3)) with { RetentionTimeMs = 1500 });
        Assert.Contains(expiringId, await registry.ListGroupIds());

        // Each group checks its own retention on its own timer: wait for both groups' checks, not only the expiring one's.
        await WaitUntil(async () => !(await expiring.Describe()).Exists, "the group whose only offset expired to be removed");
        await WaitUntil(async () => (await kept.FetchOffsets(null, false)).Offsets.Count == 1, "the kept group's expiring offset to go");
        var keptOffsets = await kept.FetchOffsets(null, false);

        Assert.Equal([("t", 1, 2L)], keptOffsets.Offsets.Select(o => (o.Topic, o.Partition, o.Offset)));
        Assert.DoesNotContain(expiringId, await registry.ListGroupIds());
        Assert.Empty((await expiring.FetchOffsets(null, false)).Offsets);
    }
}
