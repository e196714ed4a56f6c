using Orleans.Kafka.Grains.Groups.Consumer;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Grains.Tests.Groups;

/// <summary>The KIP-848 group state machine without Orleans: epochs, revocation before reassignment, leave, expiry, fencing.</summary>
public sealed class ConsumerProtocolGroupTests
{
    private const int SessionMs = 1000;
    private static readonly AssignableTopic Orders = new(new("00000000-0000-0000-0000-0000000000a1"), "orders", 4);

    private readonly ConsumerProtocolGroup _group = new();
    private long _now = 1_000;

    public ConsumerProtocolGroupTests() => _group.UpdateTopics([Orders]);

    private ConsumerHeartbeatResult Beat(string member, int epoch, IReadOnlyList<TopicIdPartitions>? owned = null,
        IReadOnlyList<string>? topics = null, string? regex = null, string? assignor = null)
    {
        var command = new ConsumerHeartbeatCommand(member, epoch, null, null, epoch == 0 ? 30_000 : -1,
            topics ?? (epoch == 0 && regex is null ? ["orders"] : null), regex, assignor, owned);
        Assert.Null(ConsumerProtocolGroup.Validate(command));
        return _group.Heartbeat(command, _now, SessionMs, 100, () => "generated");
    }

    private static IReadOnlyList<TopicIdPartitions> Owned(ConsumerHeartbeatResult result) => result.Assignment!;

    private static int[] Partitions(ConsumerHeartbeatResult result) =>
        [.. (result.Assignment ?? []).SelectMany(t => t.Partitions).Order()];

    [Fact]
    public void Two_members_join_and_each_gets_half_once_the_first_heartbeats_again()
    {
        var a = Beat("a", 0);
        Assert.Equal([0, 1, 2, 3], Partitions(a));
        var b = Beat("b", 0);

        // b's half is still a's: b waits (unreleased) until a revokes it.
        Assert.Empty(Partitions(b));
        var aRevoke = Beat("a", a.MemberEpoch, Owned(a));
        Assert.Equal(a.MemberEpoch, aRevoke.MemberEpoch);
        Assert.Equal(2, Partitions(aRevoke).Length);
        var aDone = Beat("a", aRevoke.MemberEpoch, Owned(aRevoke));
        Assert.Equal(b.MemberEpoch, aDone.MemberEpoch);
        var bNow = Beat("b", b.MemberEpoch, []);

        Assert.Equal(2, Partitions(bNow).Length);
        Assert.Empty(Partitions(aDone).Intersect(Partitions(bNow)));
        Assert.Equal(GroupStates.Stable, _group.State);
    }

    [Fact]
    public void A_partition_is_never_given_to_a_newcomer_while_its_owner_still_holds_it()
    {
        var a = Beat("a", 0);
        Beat("b", 0);
        var c = Beat("c", 0);
        Assert.Empty(Partitions(c));

        // a has not reported the revocation yet (no owned partitions sent): what a holds or revokes never goes to c.
        Beat("a", a.MemberEpoch);
        Beat("c", c.MemberEpoch, []);
        var heldByA = _group.Members["a"].Assigned.Union(_group.Members["a"].PendingRevocation).ToHashSet();

        Assert.Equal("Reconciling", _group.State);
        Assert.NotEmpty(_group.Members["a"].PendingRevocation);
        Assert.False(_group.Members["c"].Assigned.Overlaps(heldByA));
    }

    [Fact]
    public void Leave_with_epoch_minus_one_frees_the_members_partitions_for_the_others()
    {
        var a = Beat("a", 0);
        var b = Beat("b", 0);
        var aRevoke = Beat("a", a.MemberEpoch, Owned(a));
        Beat("a", aRevoke.MemberEpoch, Owned(aRevoke));
        var left = Beat("a", -1);

        Assert.Equal(-1, left.MemberEpoch);
        var bAll = Beat("b", b.MemberEpoch, []);
        Assert.Equal([0, 1, 2, 3], Partitions(bAll));
        Assert.Single(_group.Members);
    }

    [Fact]
    public void Members_whose_session_ran_out_are_removed()
    {
        Beat("a", 0);
        _now += SessionMs / 2;
        Beat("b", 0);
        _now += SessionMs / 2 + 1;

        Assert.Equal(["a"], _group.ExpireMembers(_now));
        Assert.Equal(["b"], _group.Members.Keys);
    }

    [Fact]
    public void A_member_that_does_not_revoke_within_its_rebalance_timeout_is_removed()
    {
        var a = Beat("a", 0);
        Beat("b", 0);
        Beat("a", a.MemberEpoch);
        Assert.Equal(MemberReconciliationState.UnrevokedPartitions, _group.Members["a"].State);

        // Both keep heartbeating (sessions alive) but a never reports the revocation: after 30 s it is fenced.
        _now += 29_000;
        Beat("a", a.MemberEpoch);
        Beat("b", _group.Members["b"].MemberEpoch, []);
        Assert.Empty(_group.ExpireMembers(_now));
        _now += 1_000;
        Beat("a", a.MemberEpoch);
        Beat("b", _group.Members["b"].MemberEpoch, []);

        Assert.Equal(["a"], _group.ExpireMembers(_now));
    }

    [Fact]
    public void A_static_member_leaving_with_minus_two_gets_its_partitions_back_under_a_new_member_id()
    {
        ConsumerHeartbeatResult Static(string member, int epoch, IReadOnlyList<TopicIdPartitions>? owned = null) =>
            _group.Heartbeat(new ConsumerHeartbeatCommand(member, epoch, "instance-1", null, epoch == 0 ? 30_000 : -1,
                epoch == 0 ? ["orders"] : null, null, null, owned), _now, SessionMs, 100, () => "generated");
        var a = Static("a1", 0);
        var b = Beat("b", 0);
        var aRevoke = Static("a1", a.MemberEpoch, Owned(a));
        var aDone = Static("a1", aRevoke.MemberEpoch, Owned(aRevoke));
        Beat("b", b.MemberEpoch, []);
        var epoch = _group.GroupEpoch;

        Assert.Equal(-2, Static("a1", -2).MemberEpoch);
        var back = Static("a2", 0);

        Assert.Equal(aDone.MemberEpoch, back.MemberEpoch);
        Assert.Equal(Partitions(aDone), Partitions(back));
        Assert.Equal(epoch, _group.GroupEpoch);
        Assert.DoesNotContain("a1", _group.Members.Keys);
    }

    [Fact]
    public void A_second_active_member_with_the_same_instance_id_is_refused()
    {
        _group.Heartbeat(new ConsumerHeartbeatCommand("a1", 0, "instance-1", null, 1000, ["orders"], null, null, null), _now, SessionMs, 100, () => "x");

        var clash = _group.Heartbeat(new ConsumerHeartbeatCommand("a2", 0, "instance-1", null, 1000, ["orders"], null, null, null), _now, SessionMs, 100, () => "x");

        Assert.Equal(KafkaErrorCode.UnreleasedInstanceId, clash.Error);
    }

    [Fact]
    public void A_stale_or_future_epoch_is_fenced_and_an_unknown_member_is_unknown()
    {
        var a = Beat("a", 0);
        Beat("b", 0);
        var aRevoke = Beat("a", a.MemberEpoch, Owned(a));
        var aNext = Beat("a", aRevoke.MemberEpoch, Owned(aRevoke));
        Assert.True(aNext.MemberEpoch > a.MemberEpoch);

        Assert.Equal(KafkaErrorCode.FencedMemberEpoch, Beat("a", aNext.MemberEpoch + 5).Error);
        Assert.Equal(KafkaErrorCode.FencedMemberEpoch, Beat("a", a.MemberEpoch, [new TopicIdPartitions(Orders.TopicId, [0, 1, 2, 3])]).Error);
        Assert.Equal(KafkaErrorCode.UnknownMemberId, Beat("nobody", 3).Error);
        Assert.Equal(KafkaErrorCode.UnknownMemberId, Beat("nobody", -1).Error);
    }

    [Fact]
    public void A_regex_subscription_picks_up_a_topic_created_later()
    {
        var a = Beat("a", 0, regex: "pay.*");
        Assert.Empty(Partitions(a));
        var epoch = _group.GroupEpoch;

        Assert.True(_group.UpdateTopics([Orders, new AssignableTopic(Guid.NewGuid(), "payments", 3)]));
        var next = Beat("a", a.MemberEpoch, []);

        Assert.True(_group.GroupEpoch > epoch);
        Assert.Equal([0, 1, 2], Partitions(next));
        Assert.Equal("payments", next.Assignment![0].TopicName);
    }

    [Fact]
    public void A_regex_matches_whole_topic_names_only()
    {
        Beat("a", 0, regex: "ord");
        Assert.Empty(_group.Members["a"].SubscribedTopicIds);
    }

    [Fact]
    public void Offset_commits_need_the_members_current_epoch()
    {
        var a = Beat("a", 0);

        Assert.Equal(KafkaErrorCode.None, _group.ValidateOffsetCommit("a", a.MemberEpoch));
        Assert.Equal(KafkaErrorCode.StaleMemberEpoch, _group.ValidateOffsetCommit("a", a.MemberEpoch - 1));
        Assert.Equal(KafkaErrorCode.UnknownMemberId, _group.ValidateOffsetCommit("b", 1));
    }

    [Theory]
    [InlineData(-3, "m", 1000, KafkaErrorCode.InvalidRequest)]
    [InlineData(5, "", -1, KafkaErrorCode.InvalidRequest)]
    [InlineData(0, "m", -1, KafkaErrorCode.InvalidRequest)]
    public void Malformed_heartbeats_are_invalid_requests(int epoch, string member, int rebalanceTimeoutMs, KafkaErrorCode expected)
    {
        var command = new ConsumerHeartbeatCommand(member, epoch, null, null, rebalanceTimeoutMs, ["orders"], null, null, null);
        Assert.Equal(expected, ConsumerProtocolGroup.Validate(command)!.Error);
    }

    [Fact]
    public void Unknown_assignors_and_bad_regexes_are_refused()
    {
        Assert.Equal(KafkaErrorCode.UnsupportedAssignor,
            ConsumerProtocolGroup.Validate(new ConsumerHeartbeatCommand("m", 0, null, null, 1000, ["t"], null, "sticky", null))!.Error);
        Assert.Equal(KafkaErrorCode.InvalidRegularExpression,
            ConsumerProtocolGroup.Validate(new ConsumerHeartbeatCommand("m", 0, null, null, 1000, null, "(", null, null))!.Error);
        Assert.Equal(KafkaErrorCode.InvalidRequest,
            ConsumerProtocolGroup.Validate(new ConsumerHeartbeatCommand("m", 0, null, null, 1000, null, null, null, null))!.Error);
    }

    [Fact]
    public void The_range_assignor_is_used_when_members_ask_for_it()
    {
        Beat("a", 0, assignor: "range");
        Assert.Equal("range", _group.AssignorName);
    }
}
