using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Grains.Tests.Groups.GroupTestSupport;

namespace Orleans.Kafka.Grains.Tests.Groups;

/// <summary>The timers of a rebalance: group.initial.rebalance.delay.ms and the rebalance timeout of members that do not rejoin.</summary>
public sealed class GroupRebalanceTimingTests
{
    [Fact]
    public async Task Members_arriving_within_the_initial_rebalance_delay_share_the_first_generation()
    {
        await using var cluster = await TopicClusters.StartAsync(1, configure: o =>
        {
            FastGroups(o);
            o.GroupInitialRebalanceDelayMs = 1500;
        });
        var group = cluster.Client.Group(NewGroupId());

        var first = group.Join(JoinCommand(metadata: "one"));
        await WaitUntil(async () => await group.StateOf() == GroupStates.PreparingRebalance, "the first rebalance to start");
        var second = group.Join(JoinCommand(metadata: "two"));
        var results = await Task.WhenAll(first, second).WaitAsync(Deadline);

        Assert.All(results, r => Assert.Equal(KafkaErrorCode.None, r.Error));
        Assert.All(results, r => Assert.Equal(1, r.GenerationId));
        Assert.Equal(2, results.Single(r => r.MemberId == r.LeaderId).Members.Count);
    }

    [Fact]
    public async Task A_member_that_does_not_rejoin_within_the_rebalance_timeout_is_dropped_while_the_others_are_served()
    {
        await using var cluster = await TopicClusters.StartAsync(1, configure: FastGroups);
        var group = cluster.Client.Group(NewGroupId());
        var stale = await group.JoinAndSyncAlone(JoinCommand() with { RebalanceTimeoutMs = 500 });

        // The rebalance waits for the longest rebalance timeout of the members (Kafka's rule).
        var newcomer = group.Join(JoinCommand() with { RebalanceTimeoutMs = 500 });
        await WaitUntil(async () => await group.StateOf() == GroupStates.PreparingRebalance, "the rebalance to start");
        // The parked JoinGroup does not block the grain: the old member's heartbeat is answered meanwhile.
        var heartbeat = await group.Heartbeat(stale.GenerationId, stale.MemberId, null).WaitAsync(Deadline);
        var joined = await newcomer.WaitAsync(Deadline);

        Assert.Equal(KafkaErrorCode.RebalanceInProgress, heartbeat);
        Assert.Equal(KafkaErrorCode.None, joined.Error);
        Assert.Equal(stale.GenerationId + 1, joined.GenerationId);
        Assert.Equal(joined.MemberId, joined.LeaderId);
        Assert.Equal([joined.MemberId], joined.Members.Select(m => m.MemberId));
        Assert.Equal(KafkaErrorCode.UnknownMemberId, await group.Heartbeat(joined.GenerationId, stale.MemberId, null));
    }

    [Fact]
    public async Task A_member_that_never_syncs_is_removed_after_the_rebalance_timeout()
    {
        await using var cluster = await TopicClusters.StartAsync(1, configure: FastGroups);
        var group = cluster.Client.Group(NewGroupId());
        var joined = await group.JoinOk(JoinCommand() with { RebalanceTimeoutMs = 500 });
        Assert.Equal(GroupStates.CompletingRebalance, await group.StateOf());

        // Well before its 10 s session timeout: the pending-sync timeout (the rebalance timeout) removes it.
        await WaitUntil(async () => await group.StateOf() == GroupStates.Empty, "the member that never synced to be removed", TimeSpan.FromSeconds(5));

        Assert.Equal(KafkaErrorCode.UnknownMemberId, (await group.Sync(SyncCommand(joined))).Error);
    }
}
