using System.Buffers.Binary;
using System.Text;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Grains.Tests.Groups.GroupTestSupport;

namespace Orleans.Kafka.Grains.Tests.Groups;

/// <summary>OffsetCommit / OffsetFetch / OffsetDelete against the group grain, with Kafka's member and generation checks.</summary>
public sealed class GroupOffsetTests(GroupClusterFixture fixture) : IClassFixture<GroupClusterFixture>
{
    private readonly IGrainFactory _grains = fixture.Grains;

    internal static OffsetCommitCommand Simple(params (string Topic, int Partition, long Offset)[] offsets) =>
        new(-1, "", null, -1, [.. offsets.Select(o => new OffsetCommitEntry(o.Topic, o.Partition, o.Offset, 3, "meta-" + o.Offset))]);

    internal static OffsetCommitCommand AsMember(JoinGroupResult joined, params (string Topic, int Partition, long Offset)[] offsets) =>
        Simple(offsets) with { GenerationId = joined.GenerationId, MemberId = joined.MemberId };

    [Fact]
    public async Task Committed_offsets_come_back_with_epoch_and_metadata_and_unknown_partitions_are_minus_one()
    {
        var group = _grains.Group(NewGroupId());

        var errors = await group.CommitOffsets(Simple(("t", 0, 10), ("t", 1, 20), ("u", 0, 5)));
        var some = await group.FetchOffsets([new TopicPartitions("t", [1, 7]), new TopicPartitions("nope", [0])], requireStable: true);
        var all = await group.FetchOffsets(null, requireStable: false);

        Assert.All(errors, e => Assert.Equal(KafkaErrorCode.None, e.Error));
        Assert.Equal(
            [new FetchedOffset("t", 1, 20, 3, "meta-20"), new FetchedOffset("t", 7, -1, -1, ""), new FetchedOffset("nope", 0, -1, -1, "")],
            some.Offsets);
        Assert.Equal([("t", 0, 10L), ("t", 1, 20L), ("u", 0, 5L)], all.Offsets.Select(o => (o.Topic, o.Partition, o.Offset)));
        Assert.Equal(GroupStates.Empty, await group.StateOf());
        Assert.True((await group.Describe()).Exists);
    }

    [Fact]
    public async Task Member_commits_are_checked_for_member_generation_and_rebalance()
    {
        var group = _grains.Group(NewGroupId());
        var unknownGroup = await group.CommitOffsets(Simple(("t", 0, 1)) with { GenerationId = 1, MemberId = "m" });
        var joined = await group.JoinOk(JoinCommand());

        var duringCompleting = await group.CommitOffsets(AsMember(joined, ("t", 0, 1)));
        await group.Sync(SyncCommand(joined, (joined.MemberId, "a")));
        var ok = await group.CommitOffsets(AsMember(joined, ("t", 0, 2)));
        var stale = await group.CommitOffsets(AsMember(joined, ("t", 0, 3)) with { GenerationId = joined.GenerationId - 1 });
        var stranger = await group.CommitOffsets(AsMember(joined, ("t", 0, 4)) with { MemberId = "stranger" });
        var simpleWhileActive = await group.CommitOffsets(Simple(("t", 0, 5)));
        var fetched = await group.FetchOffsets([new TopicPartitions("t", [0])], false);

        Assert.Equal(KafkaErrorCode.IllegalGeneration, Assert.Single(unknownGroup).Error);
        Assert.Equal(KafkaErrorCode.RebalanceInProgress, Assert.Single(duringCompleting).Error);
        Assert.Equal(KafkaErrorCode.None, Assert.Single(ok).Error);
        Assert.Equal(KafkaErrorCode.IllegalGeneration, Assert.Single(stale).Error);
        Assert.Equal(KafkaErrorCode.UnknownMemberId, Assert.Single(stranger).Error);
        Assert.Equal(KafkaErrorCode.UnknownMemberId, Assert.Single(simpleWhileActive).Error);
        Assert.Equal(2, Assert.Single(fetched.Offsets).Offset);
    }

    [Fact]
    public async Task Oversized_metadata_is_refused_for_that_partition_only()
    {
        var group = _grains.Group(NewGroupId());
        var command = new OffsetCommitCommand(-1, "", null, -1,
            [new OffsetCommitEntry("t", 0, 1, -1, new string('x', 4097)), new OffsetCommitEntry("t", 1, 2, -1, null)]);

        var errors = await group.CommitOffsets(command);
        var fetched = await group.FetchOffsets(null, false);

        Assert.Equal([KafkaErrorCode.OffsetMetadataTooLarge, KafkaErrorCode.None], errors.Select(e => e.Error));
        Assert.Equal([new FetchedOffset("t", 1, 2, -1, "")], fetched.Offsets);
    }

    [Fact]
    public async Task Delete_offsets_removes_unsubscribed_topics_and_refuses_subscribed_ones()
    {
        var missing = await _grains.Group(NewGroupId()).DeleteOffsets([new TopicPartitions("t", [0])]);
        var group = _grains.Group(NewGroupId());
        await group.CommitOffsets(Simple(("subscribed", 0, 1), ("other", 0, 2), ("other", 1, 3)));
        var joined = await group.JoinOk(JoinCommand() with { Protocols = [new GroupProtocol("range", Subscription("subscribed"))] });
        await group.Sync(SyncCommand(joined, (joined.MemberId, "a")));

        var result = await group.DeleteOffsets([new TopicPartitions("subscribed", [0]), new TopicPartitions("other", [0])]);
        var left = await group.FetchOffsets(null, false);

        Assert.Equal(KafkaErrorCode.GroupIdNotFound, missing.Error);
        Assert.Equal(KafkaErrorCode.None, result.Error);
        Assert.Equal([KafkaErrorCode.GroupSubscribedToTopic, KafkaErrorCode.None], result.Partitions.Select(p => p.Error));
        Assert.Equal([("other", 1), ("subscribed", 0)], left.Offsets.Select(o => (o.Topic, o.Partition)));
    }

    [Fact]
    public async Task Delete_of_a_group_removes_its_offsets_and_a_later_commit_recreates_it()
    {
        var groupId = NewGroupId();
        var group = _grains.Group(groupId);
        var registry = _grains.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key);
        await group.CommitOffsets(Simple(("t", 0, 1)));

        Assert.Equal(KafkaErrorCode.None, await group.Delete());
        Assert.Empty((await group.FetchOffsets(null, false)).Offsets);
        Assert.Equal(GroupStates.Dead, await group.StateOf());
        Assert.DoesNotContain(groupId, await registry.ListGroupIds());

        Assert.Equal(KafkaErrorCode.None, Assert.Single(await group.CommitOffsets(Simple(("t", 0, 2)))).Error);
        Assert.Equal(2, Assert.Single((await group.FetchOffsets(null, false)).Offsets).Offset);
        Assert.Contains(groupId, await registry.ListGroupIds());
    }

    /// <summary>A ConsumerProtocolSubscription v0: topics, then null user data.</summary>
    internal static byte[] Subscription(params string[] topics)
    {
        var buffer = new List<byte>();
        Span<byte> scratch = stackalloc byte[4];
        BinaryPrimitives.WriteInt16BigEndian(scratch, 0);
        buffer.AddRange(scratch[..2].ToArray());
        BinaryPrimitives.WriteInt32BigEndian(scratch, topics.Length);
        buffer.AddRange(scratch.ToArray());
        foreach (var topic in topics)
        {
            var name = Encoding.UTF8.GetBytes(topic);
            BinaryPrimitives.WriteInt16BigEndian(scratch, (short)name.Length);
            buffer.AddRange(scratch[..2].ToArray());
            buffer.AddRange(name);
        }

        BinaryPrimitives.WriteInt32BigEndian(scratch, -1);
        buffer.AddRange(scratch.ToArray());
        return [.. buffer];
    }
}
