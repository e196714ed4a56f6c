using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Grains.Tests.Groups.GroupTestSupport;

namespace Orleans.Kafka.Grains.Tests.Groups;

/// <summary>The classic group protocol against a real grain: joins, leader election, sync, heartbeats, leave, expiry.</summary>
public sealed class GroupMembershipTests(GroupClusterFixture fixture) : IClassFixture<GroupClusterFixture>
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task First_join_with_v4_semantics_requires_a_member_id_then_completes_with_the_member_as_leader()
    {
        var group = _grains.Group(NewGroupId());

        var first = await group.Join(JoinCommand(requireKnownMemberId: true));
        var joined = await group.JoinOk(JoinCommand(memberId: first.MemberId, requireKnownMemberId: true));

        Assert.Equal(KafkaErrorCode.MemberIdRequired, first.Error);
        Assert.StartsWith("client-", first.MemberId, StringComparison.Ordinal);
        Assert.Equal(first.MemberId, joined.MemberId);
        Assert.Equal(joined.MemberId, joined.LeaderId);
        Assert.Equal(1, joined.GenerationId);
        Assert.Equal("range", joined.ProtocolName);
        Assert.Equal(GroupStates.CompletingRebalance, await group.StateOf());
    }

    [Fact]
    public async Task Three_members_complete_one_generation_with_one_leader_who_sees_every_members_metadata()
    {
        var group = _grains.Group(NewGroupId());
        var first = await group.JoinAndSyncAlone(JoinCommand(metadata: "m1"));

        // Two newcomers park until the first member rejoins (it learns of the rebalance through its heartbeat).
        var second = group.Join(JoinCommand(metadata: "m2"));
        var third = group.Join(JoinCommand(metadata: "m3"));
        await WaitUntil(async () => await group.Heartbeat(first.GenerationId, first.MemberId, null) == KafkaErrorCode.RebalanceInProgress,
            "the first member to be told of the rebalance");
        Assert.False(second.IsCompleted);
        var rejoined = await group.JoinOk(JoinCommand(memberId: first.MemberId, metadata: "m1"));
        var results = new[] { rejoined, await second.WaitAsync(Deadline), await third.WaitAsync(Deadline) };

        Assert.All(results, r => Assert.Equal(KafkaErrorCode.None, r.Error));
        Assert.All(results, r => Assert.Equal(2, r.GenerationId));
        Assert.Single(results.Select(r => r.LeaderId).Distinct());
        var leader = Assert.Single(results, r => r.MemberId == r.LeaderId);
        Assert.Equal(["m1", "m2", "m3"], leader.Members.Select(m => System.Text.Encoding.UTF8.GetString(m.Metadata)).Order());
        Assert.All(results.Where(r => r != leader), r => Assert.Empty(r.Members));
        Assert.Equal(first.MemberId, leader.MemberId);
    }

    [Fact]
    public async Task Sync_hands_each_member_the_assignment_the_leader_chose()
    {
        var group = _grains.Group(NewGroupId());
        var first = await group.JoinAndSyncAlone(JoinCommand());
        var secondJoin = group.Join(JoinCommand());
        await WaitUntil(async () => await group.StateOf() == GroupStates.PreparingRebalance, "the rebalance to start");
        var leader = await group.JoinOk(JoinCommand(memberId: first.MemberId));
        var follower = await secondJoin.WaitAsync(Deadline);

        var followerSync = group.Sync(SyncCommand(follower));
        Assert.False(followerSync.IsCompleted, "a follower's sync must wait for the leader");
        var leaderSync = await group.Sync(SyncCommand(leader, (leader.MemberId, "p0"), (follower.MemberId, "p1"))).WaitAsync(Deadline);
        var followerResult = await followerSync.WaitAsync(Deadline);

        Assert.Equal("p0", System.Text.Encoding.UTF8.GetString(leaderSync.Assignment));
        Assert.Equal("p1", System.Text.Encoding.UTF8.GetString(followerResult.Assignment));
        Assert.Equal("range", followerResult.ProtocolName);
        Assert.Equal(GroupStates.Stable, await group.StateOf());
        var description = await group.Describe();
        Assert.Equal(2, description.Members.Count);
        Assert.Equal(KafkaErrorCode.None, await group.Heartbeat(leader.GenerationId, follower.MemberId, null));
    }

    [Fact]
    public async Task Leave_of_a_member_rebalances_the_rest_and_the_last_leave_empties_the_group()
    {
        var group = _grains.Group(NewGroupId());
        var first = await group.JoinAndSyncAlone(JoinCommand());
        var secondJoin = group.Join(JoinCommand());
        await WaitUntil(async () => await group.StateOf() == GroupStates.PreparingRebalance, "the rebalance to start");
        var leader = await group.JoinOk(JoinCommand(memberId: first.MemberId));
        var follower = await secondJoin.WaitAsync(Deadline);
        var syncs = new[] { group.Sync(SyncCommand(follower)), group.Sync(SyncCommand(leader, (leader.MemberId, "x"), (follower.MemberId, "y"))) };
        await Task.WhenAll(syncs).WaitAsync(Deadline);

        var left = await group.Leave([new LeavingMember(follower.MemberId, null), new LeavingMember("nobody", null)]);
        var heartbeat = await group.Heartbeat(leader.GenerationId, leader.MemberId, null);
        var rejoined = await group.JoinOk(JoinCommand(memberId: leader.MemberId));
        await group.Leave([new LeavingMember(leader.MemberId, null)]);

        Assert.Equal([KafkaErrorCode.None, KafkaErrorCode.UnknownMemberId], left.Members.Select(m => m.Error));
        Assert.Equal(KafkaErrorCode.RebalanceInProgress, heartbeat);
        Assert.Equal(leader.GenerationId + 1, rejoined.GenerationId);
        Assert.Single(rejoined.Members);
        Assert.Equal(GroupStates.Empty, await group.StateOf());
        Assert.Equal(KafkaErrorCode.UnknownMemberId, await group.Heartbeat(rejoined.GenerationId, leader.MemberId, null));
    }

    [Fact]
    public async Task A_silent_member_is_removed_after_its_session_timeout()
    {
        var group = _grains.Group(NewGroupId());
        var joined = await group.JoinAndSyncAlone(JoinCommand(sessionMs: 1000));

        await WaitUntil(async () => await group.StateOf() == GroupStates.Empty, "the silent member to expire");

        var description = await group.Describe();
        Assert.Empty(description.Members);
        Assert.Equal(KafkaErrorCode.UnknownMemberId, await group.Heartbeat(joined.GenerationId, joined.MemberId, null));
    }

    [Fact]
    public async Task A_heartbeating_member_outlives_its_session_timeout()
    {
        var group = _grains.Group(NewGroupId());
        // 2 s sessions leave room for a loaded machine; heartbeats go on for one and a half sessions.
        var joined = await group.JoinAndSyncAlone(JoinCommand(sessionMs: 2000));
        var until = DateTime.UtcNow.AddMilliseconds(3000);
        while (DateTime.UtcNow < until)
        {
            Assert.Equal(KafkaErrorCode.None, await group.Heartbeat(joined.GenerationId, joined.MemberId, null));
            await Task.Delay(200);
        }

        Assert.Equal(GroupStates.Stable, await group.StateOf());
    }

    [Fact]
    public async Task A_static_member_rejoining_keeps_its_assignment_without_a_rebalance_and_fences_the_old_id()
    {
        var group = _grains.Group(NewGroupId());
        var leader = await group.JoinAndSyncAlone(JoinCommand(instanceId: "leader-instance"), "L");
        var followerJoin = group.Join(JoinCommand(instanceId: "static-1"));
        await WaitUntil(async () => await group.StateOf() == GroupStates.PreparingRebalance, "the rebalance to start");
        var leaderAgain = await group.JoinOk(JoinCommand(memberId: leader.MemberId, instanceId: "leader-instance"));
        var follower = await followerJoin.WaitAsync(Deadline);
        await Task.WhenAll(
            group.Sync(SyncCommand(follower) with { GroupInstanceId = "static-1" }),
            group.Sync(SyncCommand(leaderAgain, (leaderAgain.MemberId, "L"), (follower.MemberId, "F")) with { GroupInstanceId = "leader-instance" }))
            .WaitAsync(Deadline);

        // The instance restarts: it joins without its member id.
        var restarted = await group.JoinOk(JoinCommand(instanceId: "static-1"));
        var restartedSync = await group.Sync(SyncCommand(restarted) with { GroupInstanceId = "static-1" });

        Assert.NotEqual(follower.MemberId, restarted.MemberId);
        Assert.Equal(follower.GenerationId, restarted.GenerationId);
        Assert.Equal("F", System.Text.Encoding.UTF8.GetString(restartedSync.Assignment));
        Assert.Equal(GroupStates.Stable, await group.StateOf());
        Assert.Equal(KafkaErrorCode.FencedInstanceId, await group.Heartbeat(follower.GenerationId, follower.MemberId, "static-1"));
        Assert.Equal(KafkaErrorCode.FencedInstanceId,
            (await group.Join(JoinCommand(memberId: follower.MemberId, instanceId: "static-1"))).Error);
        Assert.Equal(KafkaErrorCode.None, await group.Heartbeat(restarted.GenerationId, restarted.MemberId, "static-1"));
    }

    [Fact]
    public async Task Leave_by_instance_id_removes_a_static_member_and_a_wrong_member_id_is_fenced()
    {
        var group = _grains.Group(NewGroupId());
        var joined = await group.JoinAndSyncAlone(JoinCommand(instanceId: "i-1"));

        var fenced = await group.Leave([new LeavingMember("someone-else", "i-1")]);
        var left = await group.Leave([new LeavingMember("", "i-1")]);

        Assert.Equal(KafkaErrorCode.FencedInstanceId, fenced.Members[0].Error);
        Assert.Equal(KafkaErrorCode.None, left.Members[0].Error);
        Assert.Equal(GroupStates.Empty, await group.StateOf());
        Assert.Equal(KafkaErrorCode.UnknownMemberId, await group.Heartbeat(joined.GenerationId, joined.MemberId, null));
    }

    [Fact]
    public async Task Join_refuses_bad_session_timeouts_other_protocols_and_members_beyond_group_max_size()
    {
        var group = _grains.Group(NewGroupId());
        var tooShort = await group.Join(JoinCommand(sessionMs: 100));
        var noType = await group.Join(JoinCommand(protocolType: ""));
        var first = await group.JoinAndSyncAlone(JoinCommand());
        var otherType = await group.Join(JoinCommand(protocolType: "connect"));
        var otherProtocol = await group.Join(JoinCommand(protocol: "roundrobin"));
        var unknown = await group.Join(JoinCommand(memberId: "made-up"));
        var pending = new[] { await group.Join(JoinCommand(requireKnownMemberId: true)), await group.Join(JoinCommand(requireKnownMemberId: true)) };
        var full = await group.Join(JoinCommand(requireKnownMemberId: true));

        Assert.Equal(KafkaErrorCode.InvalidSessionTimeout, tooShort.Error);
        Assert.Equal(KafkaErrorCode.InconsistentGroupProtocol, noType.Error);
        Assert.Equal(KafkaErrorCode.InconsistentGroupProtocol, otherType.Error);
        Assert.Equal(KafkaErrorCode.InconsistentGroupProtocol, otherProtocol.Error);
        Assert.Equal(KafkaErrorCode.UnknownMemberId, unknown.Error);
        Assert.All(pending, p => Assert.Equal(KafkaErrorCode.MemberIdRequired, p.Error));
        Assert.Equal(KafkaErrorCode.GroupMaxSizeReached, full.Error);
        Assert.Equal(KafkaErrorCode.None, await group.Heartbeat(first.GenerationId, first.MemberId, null));
    }

    [Fact]
    public async Task Sync_and_heartbeat_with_a_stale_generation_get_illegal_generation()
    {
        var group = _grains.Group(NewGroupId());
        var joined = await group.JoinAndSyncAlone(JoinCommand());

        var sync = await group.Sync(SyncCommand(joined) with { GenerationId = joined.GenerationId - 1 });
        var heartbeat = await group.Heartbeat(joined.GenerationId + 5, joined.MemberId, null);
        var wrongName = await group.Sync(SyncCommand(joined) with { ProtocolName = "roundrobin" });

        Assert.Equal(KafkaErrorCode.IllegalGeneration, sync.Error);
        Assert.Equal(KafkaErrorCode.IllegalGeneration, heartbeat);
        Assert.Equal(KafkaErrorCode.InconsistentGroupProtocol, wrongName.Error);
    }

    [Fact]
    public async Task A_new_group_is_registered_and_delete_refuses_while_members_are_active()
    {
        var groupId = NewGroupId();
        var group = _grains.Group(groupId);
        var joined = await group.JoinAndSyncAlone(JoinCommand());
        var registered = await _grains.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key).ListGroupIds();

        var whileActive = await group.Delete();
        await group.Leave([new LeavingMember(joined.MemberId, null)]);
        var deleted = await group.Delete();
        var again = await group.Delete();
        var after = await _grains.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key).ListGroupIds();

        Assert.Contains(groupId, registered);
        Assert.Equal(KafkaErrorCode.NonEmptyGroup, whileActive);
        Assert.Equal(KafkaErrorCode.None, deleted);
        Assert.Equal(KafkaErrorCode.GroupIdNotFound, again);
        Assert.DoesNotContain(groupId, after);
        Assert.False((await group.Describe()).Exists);
    }
}
