using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.DescribeTopicPartitionsResponse;

namespace Orleans.Kafka.Gateway.Tests.Replication;

/// <summary>DescribeTopicPartitions v0 on the wire: Kafka's paging by cursor and partition limit, partition rows, errors.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DescribeTopicPartitionsTests(GatewayFixture fixture)
{
    /// <summary>READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: what Kafka reports without an authorizer.</summary>
    private const int AllTopicOperations = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);

    [Fact]
    public async Task A_small_partition_limit_pages_through_a_five_partition_topic_by_cursor()
    {
        var topicId = await ReplicationWire.CreateTopicAsync(fixture, "dtp-five", 5);

        var first = await DescribeAsync(new DescribeTopicPartitionsRequest { Topics = [new() { Name = "dtp-five" }], ResponsePartitionLimit = 2 });
        var page = Assert.Single(first.Topics);
        Assert.Equal(0, page.ErrorCode);
        Assert.Equal(topicId, page.TopicId);
        Assert.False(page.IsInternal);
        Assert.Equal(AllTopicOperations, page.TopicAuthorizedOperations);
        Assert.Equal([0, 1], page.Partitions.Select(p => p.PartitionIndex));
        Assert.Equal(("dtp-five", 2), (first.NextCursor!.TopicName, first.NextCursor.PartitionIndex));

        var second = await DescribeAsync(new DescribeTopicPartitionsRequest
        {
            Topics = [new() { Name = "dtp-five" }],
            ResponsePartitionLimit = 2,
            Cursor = new() { TopicName = "dtp-five", PartitionIndex = 2 },
        });
        Assert.Equal([2, 3], Assert.Single(second.Topics).Partitions.Select(p => p.PartitionIndex));
        Assert.Equal(("dtp-five", 4), (second.NextCursor!.TopicName, second.NextCursor.PartitionIndex));

        var last = await DescribeAsync(new DescribeTopicPartitionsRequest
        {
            Topics = [new() { Name = "dtp-five" }],
            ResponsePartitionLimit = 2,
            Cursor = new() { TopicName = "dtp-five", PartitionIndex = 4 },
        });
        Assert.Equal([4], Assert.Single(last.Topics).Partitions.Select(p => p.PartitionIndex));
        Assert.Null(last.NextCursor);
    }

    [Fact]
    public async Task A_partition_row_names_this_gateway_as_leader_replica_and_isr_with_empty_elr_lists()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "dtp-row", 1);

        var response = await DescribeAsync(new DescribeTopicPartitionsRequest { Topics = [new() { Name = "dtp-row" }] });

        var partition = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal(0, partition.ErrorCode);
        Assert.Equal(GatewayFixture.NodeId, partition.LeaderId);
        Assert.True(partition.LeaderEpoch >= 0);
        Assert.Equal([GatewayFixture.NodeId], partition.ReplicaNodes);
        Assert.Equal([GatewayFixture.NodeId], partition.IsrNodes);
        Assert.Empty(partition.OfflineReplicas);
        Assert.NotNull(partition.EligibleLeaderReplicas);
        Assert.Empty(partition.EligibleLeaderReplicas);
        Assert.NotNull(partition.LastKnownElr);
        Assert.Empty(partition.LastKnownElr);
        Assert.Null(response.NextCursor);
    }

    [Fact]
    public async Task A_limit_used_up_at_the_end_of_a_topic_points_the_cursor_at_the_start_of_the_next_topic()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "dtp-edge-a", 2);
        await ReplicationWire.CreateTopicAsync(fixture, "dtp-edge-b", 1);

        // Named out of order: Kafka answers in name order.
        var response = await DescribeAsync(new DescribeTopicPartitionsRequest
        {
            Topics = [new() { Name = "dtp-edge-b" }, new() { Name = "dtp-edge-a" }],
            ResponsePartitionLimit = 2,
        });

        var topic = Assert.Single(response.Topics);
        Assert.Equal("dtp-edge-a", topic.Name);
        Assert.Equal([0, 1], topic.Partitions.Select(p => p.PartitionIndex));
        Assert.Equal(("dtp-edge-b", 0), (response.NextCursor!.TopicName, response.NextCursor.PartitionIndex));
    }

    [Fact]
    public async Task A_cursor_skips_earlier_names_and_partitions_when_listing_all_topics()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "dtp-all-x", 3);

        var response = await DescribeAsync(new DescribeTopicPartitionsRequest
        {
            Topics = [],
            ResponsePartitionLimit = 2000,
            Cursor = new() { TopicName = "dtp-all-x", PartitionIndex = 1 },
        });

        var first = response.Topics[0];
        Assert.Equal("dtp-all-x", first.Name);
        Assert.Equal([1, 2], first.Partitions.Select(p => p.PartitionIndex));
        var names = response.Topics.Select(t => t.Name!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.All(response.Topics, t => Assert.Equal(0, t.ErrorCode));
        Assert.Null(response.NextCursor);
    }

    [Fact]
    public async Task Unknown_and_invalid_topic_names_get_their_errors_in_name_order()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "dtp-known", 1);

        var response = await DescribeAsync(new DescribeTopicPartitionsRequest
        {
            Topics = [new() { Name = "dtp-missing" }, new() { Name = "dtp known?" }, new() { Name = "dtp-known" }, new() { Name = "dtp-missing" }],
        });

        Assert.Equal(["dtp known?", "dtp-known", "dtp-missing"], response.Topics.Select(t => t.Name));
        var invalid = response.Topics[0];
        Assert.Equal((short)KafkaErrorCode.InvalidTopicException, invalid.ErrorCode);
        Assert.Equal(0, response.Topics[1].ErrorCode);
        var missing = response.Topics[2];
        Assert.Equal((short)KafkaErrorCode.UnknownTopicOrPartition, missing.ErrorCode);
        Assert.Equal(Guid.Empty, missing.TopicId);
        Assert.Empty(missing.Partitions);
        Assert.Equal(AllTopicOperations, missing.TopicAuthorizedOperations);
    }

    [Theory]
    [InlineData("dtp-other", 0)]
    [InlineData("dtp-cursor", -1)]
    public async Task A_cursor_outside_the_named_topics_or_with_a_negative_partition_gets_INVALID_REQUEST(string cursorTopic, int cursorPartition)
    {
        var response = await DescribeAsync(new DescribeTopicPartitionsRequest
        {
            Topics = [new() { Name = "dtp-cursor" }],
            Cursor = new() { TopicName = cursorTopic, PartitionIndex = cursorPartition },
        });

        var topic = Assert.Single(response.Topics);
        Assert.Equal("dtp-cursor", topic.Name);
        Assert.Equal((short)KafkaErrorCode.InvalidRequest, topic.ErrorCode);
        Assert.Empty(topic.Partitions);
    }

    [Fact]
    public async Task ApiVersions_advertises_the_replication_admin_apis_at_v0()
    {
        var response = await ReplicationWire.RequestAsync<ApiVersionsResponse>(
            fixture, new ApiVersionsRequest { ClientSoftwareName = "gateway-tests", ClientSoftwareVersion = "1.0.0" }, 3);

        var served = response.ApiKeys.ToDictionary(k => (ApiKey)k.ApiKey, k => (k.MinVersion, k.MaxVersion));
        Assert.Equal(((short)0, (short)0), served[ApiKey.DescribeTopicPartitions]);
        Assert.Equal(((short)0, (short)0), served[ApiKey.AlterPartitionReassignments]);
        Assert.Equal(((short)0, (short)0), served[ApiKey.ListPartitionReassignments]);
    }

    private Task<DescribeTopicPartitionsResponse> DescribeAsync(DescribeTopicPartitionsRequest request) =>
        ReplicationWire.RequestAsync<DescribeTopicPartitionsResponse>(fixture, request);
}
