using Orleans.Kafka.Grains.Partitions;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests.Replication;

/// <summary>The leader's follower bookkeeping: high watermark, caught-up times, ISR shrink and expansion proposals.</summary>
public sealed class LeaderReplicationTests
{
    private const long MaxLagMs = 1000;

    private static PartitionInfo Partition(int[] isr, int epoch = 5) => new(0, 1, epoch, [1, 2, 3], isr);

    private static LeaderReplication Leader(int[] isr, long logEnd = 100, long highWatermark = 0, long nowMs = 10_000) =>
        new(1, Partition(isr), highWatermark, epochStartOffset: logEnd, nowMs, MaxLagMs);

    [Fact]
    public void High_watermark_is_the_smallest_log_end_among_the_isr()
    {
        var leader = Leader([1, 2, 3]);

        Assert.False(leader.UpdateHighWatermark(100)); // followers unknown: nothing is known to be replicated
        Assert.False(leader.OnFollowerFetch(2, 80, 100, 10_100));
        Assert.True(leader.OnFollowerFetch(3, 60, 100, 10_100));
        Assert.Equal(60, leader.HighWatermark);

        Assert.True(leader.OnFollowerFetch(3, 100, 100, 10_200));
        Assert.Equal(80, leader.HighWatermark);
    }

    [Fact]
    public void High_watermark_never_goes_back()
    {
        var leader = Leader([1, 2]);
        leader.Apply(Partition([1, 2]), 10_000);
        leader.OnFollowerFetch(2, 90, 100, 10_100);
        Assert.Equal(90, leader.HighWatermark);

        leader.OnFollowerFetch(2, 50, 100, 10_200); // a follower that truncated reports less

        Assert.Equal(90, leader.HighWatermark);
    }

    [Fact]
    public void Replicas_outside_the_isr_do_not_hold_the_high_watermark_back()
    {
        var leader = Leader([1, 2]);

        leader.OnFollowerFetch(2, 100, 100, 10_100);

        Assert.Equal(100, leader.HighWatermark); // replica 3 (not in the ISR) has fetched nothing
    }

    [Fact]
    public void An_isr_of_the_leader_alone_follows_the_log_end()
    {
        var leader = Leader([1]);

        Assert.True(leader.UpdateHighWatermark(100));
        Assert.Equal(100, leader.HighWatermark);
    }

    [Fact]
    public void A_follower_that_has_not_caught_up_within_the_lag_limit_is_proposed_for_removal()
    {
        var leader = Leader([1, 2, 3], nowMs: 10_000);
        leader.OnFollowerFetch(2, 100, 100, 10_500); // caught up
        leader.OnFollowerFetch(3, 40, 100, 10_500);  // behind

        Assert.Null(leader.ProposeShrink(10_900));   // 3's window started when this leader began (10 000)
        Assert.Equal([1, 2], leader.ProposeShrink(11_001));
    }

    [Fact]
    public void Reaching_the_log_end_as_it_was_at_the_previous_fetch_counts_as_caught_up_then()
    {
        var leader = Leader([1, 2], nowMs: 10_000);
        leader.OnFollowerFetch(2, 50, 100, 10_400);   // leader end 100 at this fetch
        leader.OnFollowerFetch(2, 100, 180, 10_900);  // reached 100, but the end moved to 180 meanwhile

        Assert.Null(leader.ProposeShrink(11_300));    // caught up at 10 400 (the previous fetch)
        Assert.Equal([1], leader.ProposeShrink(11_401));
    }

    [Fact]
    public void A_caught_up_follower_outside_the_isr_is_proposed_for_addition_only_past_the_epoch_start()
    {
        var leader = new LeaderReplication(1, Partition([1, 2]), 0, epochStartOffset: 100, 10_000, MaxLagMs);
        leader.OnFollowerFetch(2, 100, 120, 10_100);
        Assert.Equal(100, leader.HighWatermark);

        leader.OnFollowerFetch(3, 90, 120, 10_100);
        Assert.Null(leader.ProposeExpansion(3));       // below the high watermark

        leader.OnFollowerFetch(3, 100, 120, 10_200);
        Assert.Equal([1, 2, 3], leader.ProposeExpansion(3));
        Assert.Null(leader.ProposeExpansion(2));       // already a member
    }

    [Fact]
    public void A_committed_state_replaces_the_isr_and_drops_removed_replicas()
    {
        var leader = Leader([1, 2, 3]);
        leader.OnFollowerFetch(2, 100, 100, 10_100);
        leader.OnFollowerFetch(3, 10, 100, 10_100);
        Assert.Equal(10, leader.HighWatermark);

        leader.Apply(new PartitionInfo(0, 1, 5, [1, 2], [1, 2]), 10_200);

        Assert.True(leader.UpdateHighWatermark(100));
        Assert.Equal(100, leader.HighWatermark);
        Assert.False(leader.IsReplica(3));
        Assert.Equal(-1, leader.FollowerLogEnd(3));
    }
}
