using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Orleans.Kafka.EndToEnd;

// Inside the namespace so it wins over Orleans.ErrorCode.
using ErrorCode = Confluent.Kafka.ErrorCode;

/// <summary>Consumer-group admin through Confluent's AdminClient: ListConsumerGroups, DescribeConsumerGroups, DeleteGroups.</summary>
public sealed class ConsumerGroupAdminTests(GroupBrokerFixture fixture) : IClassFixture<GroupBrokerFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_active_group_is_listed_and_described_with_its_members_and_their_assignments()
    {
        var topic = "admin-describe";
        var group = "admin-describe-g";
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, topic, 4);
        var config = GroupConsumer.Config(fixture.BootstrapServers, group, PartitionAssignmentStrategy.Range);
        config.ClientId = "describe-me";
        await using var a = GroupConsumer.Start(config, topic, "a");
        await using var b = GroupConsumer.Start(config, topic, "b");
        using var admin = KafkaClients.Admin(fixture.BootstrapServers);

        var described = await DescribeWhenAsync(admin, group, d => d.State == ConsumerGroupState.Stable && d.Members.Count == 2
            && d.Members.All(m => m.Assignment.TopicPartitions.Count == 2));

        Assert.Equal(ErrorCode.NoError, described.Error.Code);
        Assert.False(described.IsSimpleConsumerGroup);
        Assert.Equal("range", described.PartitionAssignor);
        Assert.Equal(1, described.Coordinator.Id);
        Assert.All(described.Members, m =>
        {
            Assert.Equal("describe-me", m.ClientId);
            Assert.False(string.IsNullOrEmpty(m.ConsumerId));
            Assert.Contains("127.0.0.1", m.Host, StringComparison.Ordinal);
            Assert.All(m.Assignment.TopicPartitions, tp => Assert.Equal(topic, tp.Topic));
        });
        Assert.Equal([0, 1, 2, 3], described.Members.SelectMany(m => m.Assignment.TopicPartitions).Select(tp => tp.Partition.Value).Order());

        var stable = await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { MatchStates = [ConsumerGroupState.Stable] });
        Assert.Contains(stable.Valid, l => l.GroupId == group && l.State == ConsumerGroupState.Stable && !l.IsSimpleConsumerGroup);
        var empty = await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { MatchStates = [ConsumerGroupState.Empty] });
        Assert.DoesNotContain(empty.Valid, l => l.GroupId == group);
    }

    [Fact]
    public async Task A_group_with_members_is_not_deleted_and_once_empty_it_is_deleted_with_its_offsets()
    {
        var topic = "admin-delete";
        var group = "admin-delete-g";
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, topic, 2);
        var config = GroupConsumer.Config(fixture.BootstrapServers, group, PartitionAssignmentStrategy.Range);
        using var admin = KafkaClients.Admin(fixture.BootstrapServers);
        using (var member = KafkaClients.Consumer(config))
        {
            member.Subscribe(topic);
            await Eventually.TrueAsync(() => { member.Consume(TimeSpan.FromMilliseconds(100)); return member.Assignment.Count == 2; }, Wait, () => "the member was never assigned both partitions");
            member.Commit([new TopicPartitionOffset(topic, 0, 7)]);

            var refused = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync([group]));
            Assert.Equal(ErrorCode.NonEmptyGroup, Assert.Single(refused.Results).Error.Code);
            member.Close();
        }

        var listed = await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { MatchStates = [ConsumerGroupState.Empty] });
        Assert.Contains(listed.Valid, l => l.GroupId == group);

        await admin.DeleteGroupsAsync([group]);

        var after = await admin.ListConsumerGroupsAsync();
        Assert.DoesNotContain(after.Valid, l => l.GroupId == group);
        var dead = Assert.Single((await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions);
        Assert.Equal(ConsumerGroupState.Dead, dead.State);
        Assert.Empty(dead.Members);

        // The committed offset went with the group: a new member of the same id starts from nothing committed.
        using var fresh = KafkaClients.Consumer(config);
        var committed = fresh.Committed([new TopicPartition(topic, 0)], TimeSpan.FromSeconds(30));
        Assert.Equal(Offset.Unset, Assert.Single(committed).Offset);
    }

    [Fact]
    public async Task Deleting_an_unknown_group_reports_GROUP_ID_NOT_FOUND()
    {
        using var admin = KafkaClients.Admin(fixture.BootstrapServers);

        var error = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync(["admin-no-such-group"]));

        Assert.Equal(ErrorCode.GroupIdNotFound, Assert.Single(error.Results).Error.Code);
    }

    private static async Task<ConsumerGroupDescription> DescribeWhenAsync(IAdminClient admin, string group, Func<ConsumerGroupDescription, bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var described = Assert.Single((await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions);
            if (condition(described)) return described;
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"group {group} is {described.State} with {described.Members.Count} members");
            }

            await Task.Delay(100);
        }
    }
}
