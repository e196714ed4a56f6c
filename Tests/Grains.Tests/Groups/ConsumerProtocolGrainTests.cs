using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using Orleans.TestingHost;
using static Orleans.Kafka.Grains.Tests.Groups.GroupTestSupport;

namespace Orleans.Kafka.Grains.Tests.Groups;

/// <summary>One silo with short KIP-848 sessions and heartbeat intervals (the topic refresh follows the interval).</summary>
public sealed class ConsumerProtocolClusterFixture : IAsyncLifetime
{
    public const int SessionMs = 1500;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync() => Cluster = await TopicClusters.StartAsync(1, configure: o =>
    {
        FastGroups(o);
        o.GroupConsumerSessionTimeoutMs = SessionMs;
        o.GroupConsumerHeartbeatIntervalMs = 200;
    });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The KIP-848 protocol through the group grain: joins, revocation, leave, expiry, regex, protocol clashes, commits.</summary>
public sealed class ConsumerProtocolGrainTests(ConsumerProtocolClusterFixture fixture) : IClassFixture<ConsumerProtocolClusterFixture>
{
    private readonly IGrainFactory _grains = fixture.Grains;

    /// <summary>A client-like member: heartbeats with what it owns, adopting each assignment it receives.</summary>
    private sealed class Member(IConsumerGroupGrain group, string id, IReadOnlyList<string>? topics = null, string? regex = null)
    {
        public int Epoch { get; private set; }

        public IReadOnlyList<TopicIdPartitions> Owned { get; private set; } = [];

        public int Count => Owned.Sum(t => t.Partitions.Count);

        public async Task<ConsumerHeartbeatResult> Beat()
        {
            var joining = Epoch == 0;
            var result = await group.ConsumerHeartbeat(new ConsumerHeartbeatCommand(id, Epoch, null, null, joining ? 30_000 : -1,
                joining && regex is null ? topics ?? [] : null, joining ? regex : null, null, joining ? null : Owned));
            Assert.Equal(KafkaErrorCode.None, result.Error);
            Epoch = result.MemberEpoch;
            Owned = result.Assignment ?? Owned;
            return result;
        }

        public Task<ConsumerHeartbeatResult> Leave() =>
            group.ConsumerHeartbeat(new ConsumerHeartbeatCommand(id, -1, null, null, -1, null, null, null, null));
    }

    private static async Task BeatUntil(IReadOnlyList<Member> members, Func<bool> done, string what) =>
        await WaitUntil(async () =>
        {
            foreach (var m in members)
            {
                await m.Beat();
            }

            return done();
        }, what);

    private async Task<string> NewTopic(int partitions, string prefix = "kip848")
    {
        var name = TopicTestHelpers.UniqueName(prefix);
        await _grains.CreateOk(TopicTestHelpers.Spec(name, partitions));
        return name;
    }

    [Fact]
    public async Task Two_members_get_half_each_then_a_third_gets_its_share_only_after_the_owners_revoke()
    {
        var topic = await NewTopic(6);
        var group = _grains.Group(NewGroupId());
        var a = new Member(group, "a", [topic]);
        var b = new Member(group, "b", [topic]);
        await BeatUntil([a, b], () => a.Count == 3 && b.Count == 3, "a and b own 3 partitions each");

        var c = new Member(group, "c", [topic]);
        await c.Beat();
        Assert.Equal(0, c.Count);
        var described = await group.DescribeConsumerGroup();
        Assert.Equal("Reconciling", described.State);

        await BeatUntil([a, b, c], () => a.Count == 2 && b.Count == 2 && c.Count == 2, "2 partitions each");
        var all = new[] { a, b, c }.SelectMany(m => m.Owned.SelectMany(t => t.Partitions)).Order();
        Assert.Equal([0, 1, 2, 3, 4, 5], all);
        var description = await group.Describe();
        Assert.Equal("consumer", description.GroupType);
        Assert.Equal(3, description.Members.Count);
    }

    [Fact]
    public async Task A_member_leaving_with_epoch_minus_one_hands_its_partitions_to_the_others()
    {
        var topic = await NewTopic(4);
        var group = _grains.Group(NewGroupId());
        var a = new Member(group, "a", [topic]);
        var b = new Member(group, "b", [topic]);
        await BeatUntil([a, b], () => a.Count == 2 && b.Count == 2, "2 each");

        var left = await b.Leave();

        Assert.Equal(-1, left.MemberEpoch);
        await BeatUntil([a], () => a.Count == 4, "a owns all 4");
    }

    [Fact]
    public async Task A_silent_member_is_removed_after_the_session_timeout()
    {
        var topic = await NewTopic(2);
        var group = _grains.Group(NewGroupId());
        await new Member(group, "quiet", [topic]).Beat();

        await WaitUntil(async () => (await group.DescribeConsumerGroup()).Members.Count == 0, "the member to expire",
            TimeSpan.FromMilliseconds(ConsumerProtocolClusterFixture.SessionMs * 4));
        Assert.Equal(GroupStates.Empty, (await group.DescribeConsumerGroup()).State);
    }

    [Fact]
    public async Task A_stale_member_epoch_is_fenced()
    {
        var topic = await NewTopic(2);
        var group = _grains.Group(NewGroupId());
        var a = new Member(group, "a", [topic]);
        await a.Beat();

        var stale = await group.ConsumerHeartbeat(new ConsumerHeartbeatCommand("a", a.Epoch + 7, null, null, -1, null, null, null, null));

        Assert.Equal(KafkaErrorCode.FencedMemberEpoch, stale.Error);
    }

    [Fact]
    public async Task A_regex_subscription_picks_up_a_topic_created_after_the_join()
    {
        var prefix = "rx" + Guid.NewGuid().ToString("N")[..6];
        var group = _grains.Group(NewGroupId());
        var a = new Member(group, "a", regex: prefix + "-.*");
        await a.Beat();
        Assert.Equal(0, a.Count);

        await NewTopic(3, prefix);

        await BeatUntil([a], () => a.Count == 3, "the new topic's 3 partitions");
    }

    [Fact]
    public async Task Protocols_do_not_mix_JoinGroup_on_a_consumer_group_and_heartbeat_on_a_classic_group()
    {
        var topic = await NewTopic(1);
        var consumerGroup = _grains.Group(NewGroupId());
        await new Member(consumerGroup, "a", [topic]).Beat();
        var classicGroup = _grains.Group(NewGroupId());
        await classicGroup.JoinOk(JoinCommand());

        var join = await consumerGroup.Join(JoinCommand());
        var heartbeat = await classicGroup.ConsumerHeartbeat(new ConsumerHeartbeatCommand("x", 0, null, null, 1000, [topic], null, null, null));

        Assert.Equal(KafkaErrorCode.InconsistentGroupProtocol, join.Error);
        Assert.Equal(KafkaErrorCode.GroupIdNotFound, heartbeat.Error);
        Assert.Equal(KafkaErrorCode.GroupIdNotFound, (await classicGroup.DescribeConsumerGroup()).Error);
    }

    [Fact]
    public async Task An_empty_consumer_group_becomes_classic_on_JoinGroup_keeping_its_offsets()
    {
        var topic = await NewTopic(1);
        var group = _grains.Group(NewGroupId());
        var a = new Member(group, "a", [topic]);
        await a.Beat();
        Assert.Equal(KafkaErrorCode.None, Assert.Single(await group.CommitOffsets(new OffsetCommitCommand(a.Epoch, "a", null, -1,
            [new OffsetCommitEntry(topic, 0, 7, -1, null)]))).Error);
        await a.Leave();

        var joined = await group.JoinOk(JoinCommand());

        Assert.Equal("classic", (await group.Describe()).GroupType);
        Assert.Equal(7, Assert.Single((await group.FetchOffsets(null, false)).Offsets).Offset);
        Assert.True(joined.GenerationId > a.Epoch);
    }

    [Fact]
    public async Task Offset_commits_from_members_are_checked_against_the_member_epoch()
    {
        var topic = await NewTopic(1);
        var group = _grains.Group(NewGroupId());
        var a = new Member(group, "a", [topic]);
        await a.Beat();
        OffsetCommitCommand Commit(int epoch) => new(epoch, "a", null, -1, [new OffsetCommitEntry(topic, 0, 5, -1, null)]);

        var stale = await group.CommitOffsets(Commit(a.Epoch - 1));
        var current = await group.CommitOffsets(Commit(a.Epoch));

        Assert.Equal(KafkaErrorCode.StaleMemberEpoch, Assert.Single(stale).Error);
        Assert.Equal(KafkaErrorCode.None, Assert.Single(current).Error);
        Assert.Equal(5, Assert.Single((await group.FetchOffsets(null, false)).Offsets).Offset);
    }
}
