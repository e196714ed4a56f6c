using Confluent.Kafka;
using Orleans.Kafka.Groups;

namespace Orleans.Kafka.Gateway.Tests.Groups;

/// <summary>librdkafka (Confluent.Kafka) consumers in a group against the gateway: subscribe, consume, commit, rebalance.</summary>
[Collection(GroupGatewayCollection.Name)]
public sealed class ConsumerGroupClientTests(GroupGatewayFixture fixture)
{
    [Fact]
    public async Task A_subscribed_consumer_commits_and_the_next_consumer_of_the_group_resumes_after_the_commit()
    {
        var topic = await fixture.CreateTopicAsync("group-resume", partitions: 1);
        var groupId = "resume-" + Guid.NewGuid().ToString("N");
        await fixture.ProduceAsync(topic.Name, 0, "a", "b", "c");

        using (var first = fixture.GroupConsumer(groupId))
        {
            first.Subscribe(topic.Name);
            var received = ConsumeUntil(first, 3);
            first.Commit(received[^1]);
            var committed = first.Committed([new TopicPartition(topic.Name, 0)], TimeSpan.FromSeconds(10));

            Assert.Equal(["a", "b", "c"], received.Select(r => r.Message.Value));
            Assert.Equal(3, Assert.Single(committed).Offset.Value);
            first.Close();
        }

        await fixture.ProduceAsync(topic.Name, 0, "d");
        using var second = fixture.GroupConsumer(groupId);
        second.Subscribe(topic.Name);
        var resumed = ConsumeUntil(second, 1);
        second.Close();

        Assert.Equal("d", Assert.Single(resumed).Message.Value);
        Assert.Equal(3, resumed[0].Offset.Value);
        var description = await fixture.Grains.GetGrain<IConsumerGroupGrain>(groupId).Describe();
        Assert.Equal(GroupStates.Empty, description.State);
        Assert.Equal("consumer", description.ProtocolType);
    }

    [Fact]
    public async Task A_second_consumer_joining_splits_the_partitions_between_the_two()
    {
        var topic = await fixture.CreateTopicAsync("group-split", partitions: 4);
        var groupId = "split-" + Guid.NewGuid().ToString("N");
        using var first = fixture.GroupConsumer(groupId);
        using var second = fixture.GroupConsumer(groupId);

        first.Subscribe(topic.Name);
        PollUntil([first], () => first.Assignment.Count == 4, "the first consumer to own all 4 partitions");
        second.Subscribe(topic.Name);
        PollUntil([first, second], () => first.Assignment.Count == 2 && second.Assignment.Count == 2, "a 2/2 split");

        var all = first.Assignment.Concat(second.Assignment).Select(p => p.Partition.Value).Order();
        Assert.Equal([0, 1, 2, 3], all);
        var description = await fixture.Grains.GetGrain<IConsumerGroupGrain>(groupId).Describe();
        Assert.Equal(GroupStates.Stable, description.State);
        Assert.Equal(2, description.Members.Count);

        second.Close();
        PollUntil([first], () => first.Assignment.Count == 4, "the first consumer to take all partitions back after the second left");
        first.Close();
    }

    [Fact]
    public async Task A_restarted_static_member_gets_its_partitions_back_and_the_other_member_keeps_its_own()
    {
        var topic = await fixture.CreateTopicAsync("group-static", partitions: 2);
        var groupId = "static-" + Guid.NewGuid().ToString("N");
        using var stayer = fixture.GroupConsumer(groupId, c => c.GroupInstanceId = "stayer");
        stayer.Subscribe(topic.Name);
        PollUntil([stayer], () => stayer.Assignment.Count == 2, "the first static member to own both partitions");
        var restarting = fixture.GroupConsumer(groupId, c => c.GroupInstanceId = "restarting");
        restarting.Subscribe(topic.Name);
        PollUntil([stayer, restarting], () => stayer.Assignment.Count == 1 && restarting.Assignment.Count == 1, "a 1/1 split");
        var before = restarting.Assignment.Single();

        // A static member's close sends no LeaveGroup: the group keeps its place until the session times out.
        restarting.Close();
        restarting.Dispose();
        using var restarted = fixture.GroupConsumer(groupId, c => c.GroupInstanceId = "restarting");
        restarted.Subscribe(topic.Name);
        PollUntil([stayer, restarted], () => restarted.Assignment.Count == 1, "the restarted instance to get a partition");

        Assert.Equal(before, restarted.Assignment.Single());
        Assert.Single(stayer.Assignment);
        Assert.NotEqual(before, stayer.Assignment.Single());
        var description = await fixture.Grains.GetGrain<IConsumerGroupGrain>(groupId).Describe();
        Assert.Equal(["restarting", "stayer"], description.Members.Select(m => m.GroupInstanceId).Order());
        restarted.Close();
        stayer.Close();
    }

    private static List<ConsumeResult<string, string>> ConsumeUntil(IConsumer<string, string> consumer, int count)
    {
        var results = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + GroupGatewayFixture.Deadline;
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
            }
        }

        Assert.True(results.Count >= count, $"consumed {results.Count} of {count} records before the deadline");
        return results;
    }

    /// <summary>Polls every consumer (rebalances run inside poll) until the condition holds or the deadline passes.</summary>
    private static void PollUntil(IReadOnlyList<IConsumer<string, string>> consumers, Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + GroupGatewayFixture.Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            foreach (var consumer in consumers)
            {
                consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
        }
    }
}
