using Orleans.Kafka.Grains.Topics;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests.Topics;

/// <summary>The persisted form of leader, ISR and reassignment state, and reading state written before they existed.</summary>
public sealed class TopicStateReplicationTests
{
    private static TopicInfo Topic(params PartitionInfo[] partitions) =>
        new("t", Guid.NewGuid(), partitions, new Dictionary<string, string>());

    [Fact]
    public void State_written_before_replication_reads_as_first_replica_leading_with_every_replica_in_sync()
    {
        var old = new TopicState { TopicId = Guid.NewGuid(), Replicas = "1:2:3,2:3:1", LeaderEpochs = "4,0" };

        var info = old.ToInfo("t");

        Assert.Equal([1, 2], info.Partitions.Select(p => p.Leader));
        Assert.Equal([4, 0], info.Partitions.Select(p => p.LeaderEpoch));
        Assert.Equal([1, 2, 3], info.Partitions[0].Isr);
        Assert.Equal([2, 3, 1], info.Partitions[1].Isr);
        Assert.All(info.Partitions, p => Assert.False(p.IsReassigning));
    }

    [Fact]
    public void Leader_isr_and_reassignment_round_trip_compactly()
    {
        var topic = Topic(
            new PartitionInfo(0, 2, 3, [1, 2, 3], [2, 3]),
            new PartitionInfo(1, PartitionInfo.NoLeader, 7, [2, 3], [3]),
            new PartitionInfo(2, 1, 0, [4, 1, 5, 2], [1, 2], AddingReplicas: [4, 5], RemovingReplicas: [2]));

        var state = TopicState.From(topic);
        var back = state.ToInfo("t");

        Assert.Equal("2,-1,1", state.Leaders);
        Assert.Equal("2:3,3,1:2", state.Isrs);
        Assert.Equal(",,4:5", state.AddingReplicas);
        Assert.Equal(",,2", state.RemovingReplicas);
        Assert.All(topic.Partitions.Zip(back.Partitions), pair => Assert.True(PartitionElection.SameState(pair.First, pair.Second)));
    }

    [Fact]
    public void No_reassignment_stores_empty_strings()
    {
        var state = TopicState.From(Topic(new PartitionInfo(0, 1, 0, [1, 2], [1, 2]), new PartitionInfo(1, 2, 0, [2, 1], [2])));

        Assert.Equal("", state.AddingReplicas);
        Assert.Equal("", state.RemovingReplicas);
        Assert.Null(state.ToInfo("t").Partitions[0].AddingReplicas);
    }

    [Fact]
    public void New_partitions_start_with_the_first_replica_leading_every_replica_in_sync_at_epoch_zero()
    {
        var state = TopicState.From(Topic(new PartitionInfo(0, 2, 5, [1, 2], [2])));

        var grown = state.WithPartitions([[2, 1], [1, 2]]).ToInfo("t");

        Assert.Equal((2, 5), (grown.Partitions[0].Leader, grown.Partitions[0].LeaderEpoch));
        Assert.Equal([2], grown.Partitions[0].Isr);
        Assert.Equal([2, 1], grown.Partitions.Skip(1).Select(p => p.Leader));
        Assert.Equal([0, 0], grown.Partitions.Skip(1).Select(p => p.LeaderEpoch));
        Assert.Equal([2, 1], grown.Partitions[1].Isr);
    }

    [Fact]
    public void Config_changes_keep_the_replication_state()
    {
        var state = TopicState.From(Topic(new PartitionInfo(0, 2, 5, [1, 2], [2], [2], null)));

        var changed = state.WithConfigs(new Dictionary<string, string> { ["retention.ms"] = "1" }).ToInfo("t");

        Assert.Equal((2, 5), (changed.Partitions[0].Leader, changed.Partitions[0].LeaderEpoch));
        Assert.Equal([2], changed.Partitions[0].Isr);
        Assert.Equal([2], changed.Partitions[0].Adding);
    }

    [Fact]
    public void Partition_states_replace_only_the_partitions_named()
    {
        var state = TopicState.From(Topic(new PartitionInfo(0, 1, 0, [1, 2], [1, 2]), new PartitionInfo(1, 2, 0, [2, 1], [2, 1])));

        var next = state.WithPartitionStates([new PartitionInfo(1, 1, 1, [2, 1], [1])]).ToInfo("t");

        Assert.Equal([1, 1], next.Partitions.Select(p => p.Leader));
        Assert.Equal([0, 1], next.Partitions.Select(p => p.LeaderEpoch));
        Assert.Equal([1], next.Partitions[1].Isr);
    }

    [Theory]
    [InlineData("1", "1:2,2")]
    [InlineData("1,2", "1")]
    [InlineData("x", "1")]
    public void Unreadable_leaders_or_isrs_fail_loudly(string leaders, string isrs)
    {
        var state = new TopicState { TopicId = Guid.NewGuid(), Replicas = "1:2", LeaderEpochs = "0", Leaders = leaders, Isrs = isrs };

        Assert.Throws<InvalidDataException>(() => state.ToInfo("t"));
    }

    [Fact]
    public void Reassignment_entries_must_match_the_partition_count()
    {
        var state = new TopicState { TopicId = Guid.NewGuid(), Replicas = "1:2", LeaderEpochs = "0", AddingReplicas = ",3" };

        Assert.Throws<InvalidDataException>(() => state.ToInfo("t"));
    }
}
