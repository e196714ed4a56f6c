using Orleans.Kafka.Grains.Topics;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests.Topics;

/// <summary>The controller's pure decisions: election, ISR changes, reassignment (no Orleans).</summary>
public sealed class PartitionElectionTests
{
    private static readonly HashSet<int> All = [1, 2, 3, 4, 5];

    private static PartitionInfo P(int leader, int epoch, int[] replicas, int[] isr, int[]? adding = null, int[]? removing = null) =>
        new(0, leader, epoch, replicas, isr, adding, removing);

    private static HashSet<int> Live(params int[] ids) => [.. ids];

    // ---- Reconcile ----

    [Fact]
    public void Reconcile_changes_nothing_when_every_replica_is_live()
    {
        var p = P(1, 4, [1, 2, 3], [1, 2, 3]);

        Assert.Same(p, PartitionElection.Reconcile(p, All, uncleanElection: false));
    }

    [Fact]
    public void Dead_leader_is_replaced_by_the_first_live_isr_member_in_replica_order_with_a_new_epoch()
    {
        var p = P(1, 4, [1, 2, 3], [3, 1, 2]);

        var next = PartitionElection.Reconcile(p, Live(2, 3), uncleanElection: false);

        Assert.Equal(2, next.Leader);
        Assert.Equal(5, next.LeaderEpoch);
        Assert.Equal([3, 2], next.Isr);
        Assert.Equal([1, 2, 3], next.Replicas);
    }

    [Fact]
    public void Live_replica_outside_the_isr_is_not_elected()
    {
        var p = P(1, 0, [1, 2, 3], [1, 3]);

        var next = PartitionElection.Reconcile(p, Live(2, 3), uncleanElection: false);

        Assert.Equal(3, next.Leader);
        Assert.Equal([3], next.Isr);
    }

    [Fact]
    public void Dead_follower_leaves_the_isr_without_an_epoch_bump()
    {
        var p = P(1, 7, [1, 2, 3], [1, 2, 3]);

        var next = PartitionElection.Reconcile(p, Live(1, 2), uncleanElection: false);

        Assert.Equal((1, 7), (next.Leader, next.LeaderEpoch));
        Assert.Equal([1, 2], next.Isr);
    }

    [Fact]
    public void Whole_isr_dead_leaves_the_partition_offline_keeping_the_last_isr_and_bumping_the_epoch()
    {
        var p = P(1, 2, [1, 2, 3], [1, 2]);

        var next = PartitionElection.Reconcile(p, Live(3), uncleanElection: false);

        Assert.Equal(PartitionInfo.NoLeader, next.Leader);
        Assert.Equal(3, next.LeaderEpoch);
        Assert.Equal([1, 2], next.Isr);
    }

    [Fact]
    public void Offline_partition_stays_unchanged_while_no_isr_member_is_live()
    {
        var p = P(PartitionInfo.NoLeader, 3, [1, 2, 3], [1, 2]);

        Assert.Same(p, PartitionElection.Reconcile(p, Live(3), uncleanElection: false));
    }

    [Fact]
    public void Offline_partition_comes_back_when_an_isr_member_returns()
    {
        var p = P(PartitionInfo.NoLeader, 3, [1, 2, 3], [1, 2]);

        var next = PartitionElection.Reconcile(p, Live(2, 3), uncleanElection: false);

        Assert.Equal((2, 4), (next.Leader, next.LeaderEpoch));
        Assert.Equal([2], next.Isr);
    }

    [Fact]
    public void Unclean_election_lets_the_first_live_replica_lead_alone()
    {
        var p = P(1, 2, [1, 2, 3], [1]);

        var next = PartitionElection.Reconcile(p, Live(2, 3), uncleanElection: true);

        Assert.Equal((2, 3), (next.Leader, next.LeaderEpoch));
        Assert.Equal([2], next.Isr);
    }

    [Fact]
    public void Unclean_election_prefers_a_clean_candidate()
    {
        var p = P(1, 2, [1, 2, 3], [1, 3]);

        var next = PartitionElection.Reconcile(p, Live(2, 3), uncleanElection: true);

        Assert.Equal(3, next.Leader);
        Assert.Equal([3], next.Isr);
    }

    [Fact]
    public void Unclean_election_of_an_offline_partition_bumps_the_epoch_once()
    {
        var p = P(PartitionInfo.NoLeader, 5, [1, 2], [1]);

        var next = PartitionElection.Reconcile(p, Live(2), uncleanElection: true);

        Assert.Equal((2, 6), (next.Leader, next.LeaderEpoch));
    }

    [Fact]
    public void Unclean_election_with_no_live_replica_stays_offline()
    {
        var p = P(1, 2, [1, 2], [1]);

        var next = PartitionElection.Reconcile(p, Live(3), uncleanElection: true);

        Assert.Equal((PartitionInfo.NoLeader, 3), (next.Leader, next.LeaderEpoch));
        Assert.Equal([1], next.Isr);
    }

    // ---- ClaimLeadership ----

    [Fact]
    public void Committed_leader_claiming_gets_the_next_epoch()
    {
        var result = PartitionElection.ClaimLeadership(P(2, 9, [2, 1], [2, 1]), 2);

        Assert.True(result.IsOk);
        Assert.Equal((2, 10), (result.Partition.Leader, result.Partition.LeaderEpoch));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Other_silo_claiming_is_told_not_leader(int silo)
    {
        var p = P(2, 9, [2, 1], [2, 1]);

        var result = PartitionElection.ClaimLeadership(p, silo);

        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, result.Error);
        Assert.Same(p, result.Partition);
    }

    [Fact]
    public void Nobody_can_claim_an_offline_partition()
    {
        var result = PartitionElection.ClaimLeadership(P(PartitionInfo.NoLeader, 9, [2, 1], [2]), PartitionInfo.NoLeader);

        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, result.Error);
    }

    // ---- AlterIsr ----

    [Fact]
    public void Leader_at_its_epoch_shrinks_and_expands_the_isr()
    {
        var p = P(1, 3, [1, 2, 3], [1, 2, 3]);

        var shrunk = PartitionElection.AlterIsr(p, 1, 3, [1, 3], All);
        var expanded = PartitionElection.AlterIsr(shrunk.Partition, 1, 3, [1, 3, 2], All);

        Assert.Equal([1, 3], shrunk.Partition.Isr);
        Assert.Equal([1, 3, 2], expanded.Partition.Isr);
        Assert.Equal(3, expanded.Partition.LeaderEpoch);
    }

    [Fact]
    public void Unchanged_isr_returns_the_same_state()
    {
        var p = P(1, 3, [1, 2], [1, 2]);

        Assert.Same(p, PartitionElection.AlterIsr(p, 1, 3, [1, 2], All).Partition);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(1, 4)]
    [InlineData(2, 3)]
    public void Stale_epoch_or_wrong_leader_is_fenced(int silo, int epoch)
    {
        var p = P(1, 3, [1, 2], [1, 2]);

        var result = PartitionElection.AlterIsr(p, silo, epoch, [silo], All);

        Assert.Equal(KafkaErrorCode.FencedLeaderEpoch, result.Error);
        Assert.Same(p, result.Partition);
    }

    [Theory]
    [InlineData(new[] { 2 })]
    [InlineData(new[] { 1, 4 })]
    [InlineData(new[] { 1, 2, 1 })]
    public void Isr_without_the_leader_or_with_a_stranger_or_a_duplicate_is_invalid(int[] isr)
    {
        var result = PartitionElection.AlterIsr(P(1, 3, [1, 2], [1, 2]), 1, 3, isr, All);

        Assert.Equal(KafkaErrorCode.InvalidRequest, result.Error);
    }

    [Fact]
    public void Isr_that_catches_up_every_added_replica_finishes_the_reassignment()
    {
        // [1,2] -> [3,1]: replicas [3,1,2], adding [3], removing [2].
        var p = P(1, 5, [3, 1, 2], [1, 2], adding: [3], removing: [2]);

        var result = PartitionElection.AlterIsr(p, 1, 5, [1, 2, 3], All);

        var next = result.Partition;
        Assert.True(result.IsOk);
        Assert.Equal([3, 1], next.Replicas);
        Assert.Equal([1, 3], next.Isr);
        Assert.False(next.IsReassigning);
        Assert.Equal((1, 5), (next.Leader, next.LeaderEpoch));
    }

    [Fact]
    public void Finishing_a_reassignment_that_removes_the_leader_moves_leadership_to_the_first_live_target_in_sync()
    {
        // [1,2] -> [3,4]: replicas [3,4,1,2].
        var p = P(1, 5, [3, 4, 1, 2], [1, 2, 4], adding: [3, 4], removing: [1, 2]);

        var next = PartitionElection.AlterIsr(p, 1, 5, [1, 2, 4, 3], Live(1, 2, 4)).Partition;

        Assert.Equal([3, 4], next.Replicas);
        Assert.Equal([4, 3], next.Isr);
        Assert.Equal((4, 6), (next.Leader, next.LeaderEpoch));
        Assert.Null(next.AddingReplicas);
        Assert.Null(next.RemovingReplicas);
    }

    [Fact]
    public void Reassignment_stays_in_progress_while_an_added_replica_is_not_in_sync()
    {
        var p = P(1, 5, [3, 4, 1, 2], [1, 2], adding: [3, 4], removing: [1, 2]);

        var next = PartitionElection.AlterIsr(p, 1, 5, [1, 2, 3], All).Partition;

        Assert.Equal([1, 2, 3], next.Isr);
        Assert.Equal([3, 4, 1, 2], next.Replicas);
        Assert.True(next.IsReassigning);
    }

    // ---- Reassign / cancel ----

    [Fact]
    public void Reassignment_follows_kafkas_model_of_replicas_adding_and_removing()
    {
        var p = P(1, 2, [1, 2, 3], [1, 2, 3]);

        var result = PartitionElection.Reassign(p, [4, 1, 5], All);

        var next = result.Partition;
        Assert.True(result.IsOk);
        Assert.Equal([4, 1, 5, 2, 3], next.Replicas);
        Assert.Equal([4, 5], next.Adding);
        Assert.Equal([2, 3], next.Removing);
        Assert.Equal([1, 2, 3], next.Isr);
        Assert.Equal((1, 2), (next.Leader, next.LeaderEpoch));
    }

    [Fact]
    public void Reassignment_that_only_removes_completes_at_once()
    {
        var p = P(1, 2, [1, 2, 3], [1, 2, 3]);

        var next = PartitionElection.Reassign(p, [2, 3], All).Partition;

        Assert.Equal([2, 3], next.Replicas);
        Assert.Equal([2, 3], next.Isr);
        Assert.False(next.IsReassigning);
        Assert.Equal((2, 3), (next.Leader, next.LeaderEpoch));
    }

    [Fact]
    public void Reassignment_that_only_reorders_completes_at_once_keeping_the_leader()
    {
        var p = P(1, 2, [1, 2, 3], [1, 2, 3]);

        var next = PartitionElection.Reassign(p, [3, 2, 1], All).Partition;

        Assert.Equal([3, 2, 1], next.Replicas);
        Assert.Equal((1, 2), (next.Leader, next.LeaderEpoch));
        Assert.False(next.IsReassigning);
    }

    [Fact]
    public void New_target_replaces_the_reassignment_in_progress_keeping_the_original_set()
    {
        var p = P(1, 2, [1, 2, 3], [1, 2, 3]);
        var first = PartitionElection.Reassign(p, [4, 5, 1], All).Partition;

        var next = PartitionElection.Reassign(first, [1, 2, 5], All).Partition;

        Assert.Equal([1, 2, 5, 3], next.Replicas);
        Assert.Equal([5], next.Adding);
        Assert.Equal([3], next.Removing);
        Assert.Equal([1, 2, 3], next.Isr);
    }

    [Theory]
    [InlineData(new int[0], "The manual partition assignment includes an empty replica list.")]
    [InlineData(new[] { 1, 1 }, "The manual partition assignment includes the broker 1 more than once.")]
    [InlineData(new[] { 1, 9 }, "The manual partition assignment includes broker 9, but no such broker is registered.")]
    public void Empty_duplicate_or_dead_targets_are_invalid_replica_assignments_with_kafkas_messages(int[] target, string message)
    {
        var p = P(1, 2, [1, 2], [1, 2]);

        var result = PartitionElection.Reassign(p, target, All);

        Assert.Equal(KafkaErrorCode.InvalidReplicaAssignment, result.Error);
        Assert.Equal(message, result.Message);
        Assert.Same(p, result.Partition);
    }

    [Fact]
    public void Cancel_without_a_reassignment_is_no_reassignment_in_progress()
    {
        var result = PartitionElection.Cancel(P(1, 2, [1, 2], [1, 2]), All);

        Assert.Equal(KafkaErrorCode.NoReassignmentInProgress, result.Error);
    }

    [Fact]
    public void Cancel_reverts_to_the_original_replicas_and_drops_added_ones_from_the_isr()
    {
        var p = P(1, 2, [1, 2, 3], [1, 2, 3]);
        var moving = PartitionElection.Reassign(p, [4, 5, 1], All).Partition;
        moving = PartitionElection.AlterIsr(moving, 1, 2, [1, 2, 3, 4], All).Partition;

        var next = PartitionElection.Cancel(moving, All).Partition;

        Assert.Equal([1, 2, 3], next.Replicas);
        Assert.Equal([1, 2, 3], next.Isr);
        Assert.False(next.IsReassigning);
        Assert.Equal((1, 2), (next.Leader, next.LeaderEpoch));
    }

    [Fact]
    public void Cancel_re_elects_when_an_added_replica_had_become_leader()
    {
        // Reassignment [1,2] -> [3] not finished yet (replica 1 still in the way of the finish rule's leader pick is
        // irrelevant here): the leader 1 died and the added replica 3, already in sync, took over.
        var moving = P(3, 6, [3, 1, 2], [3, 2], adding: [3], removing: [1, 2]);

        var next = PartitionElection.Cancel(moving, Live(2, 3)).Partition;

        Assert.Equal([1, 2], next.Replicas);
        Assert.Equal([2], next.Isr);
        Assert.Equal((2, 7), (next.Leader, next.LeaderEpoch));
    }

    [Fact]
    public void Cancel_is_refused_when_no_original_replica_is_in_sync()
    {
        var moving = P(3, 6, [3, 1, 2], [3], adding: [3], removing: [1, 2]);

        var result = PartitionElection.Cancel(moving, All);

        Assert.Equal(KafkaErrorCode.InvalidReplicaAssignment, result.Error);
    }

    [Fact]
    public void Original_and_target_are_derived_from_replicas_adding_and_removing()
    {
        var moving = P(1, 0, [4, 1, 5, 2, 3], [1, 2, 3], adding: [4, 5], removing: [2, 3]);

        Assert.Equal([1, 2, 3], PartitionElection.Original(moving));
        Assert.Equal([4, 1, 5], PartitionElection.Target(moving));
    }
}
