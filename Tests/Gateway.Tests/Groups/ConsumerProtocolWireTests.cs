using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.Groups;

/// <summary>KIP-848 on the wire: ConsumerGroupHeartbeat v0/v1 and ConsumerGroupDescribe v0 through the gateway.</summary>
[Collection(GroupGatewayCollection.Name)]
public sealed class ConsumerProtocolWireTests(GroupGatewayFixture fixture)
{
    [Fact]
    public async Task Heartbeat_v0_join_gets_a_member_id_an_epoch_and_every_partition_by_topic_id()
    {
        var topic = await fixture.CreateTopicAsync("kip848-wire-join", partitions: 3);

        var joined = await RequestAsync<ConsumerGroupHeartbeatResponse>(Join(NewGroup(), topic.Name), 0);

        Assert.Equal((short)KafkaErrorCode.None, joined.ErrorCode);
        Assert.False(string.IsNullOrEmpty(joined.MemberId));
        Assert.True(joined.MemberEpoch >= 1, $"epoch {joined.MemberEpoch}");
        Assert.True(joined.HeartbeatIntervalMs > 0);
        var assigned = Assert.Single(Assert.IsType<ConsumerGroupHeartbeatResponse.AssignmentData>(joined.Assignment).TopicPartitions);
        Assert.Equal(topic.TopicId, assigned.TopicId);
        Assert.Equal([0, 1, 2], assigned.Partitions.Order());
    }

    [Fact]
    public async Task Heartbeat_v1_join_by_regex_keeps_the_client_chosen_member_id()
    {
        var topic = await fixture.CreateTopicAsync("kip848-wire-rx", partitions: 2);
        var memberId = Guid.NewGuid().ToString("N");
        var request = new ConsumerGroupHeartbeatRequest
        {
            GroupId = NewGroup(),
            MemberId = memberId,
            MemberEpoch = 0,
            RebalanceTimeoutMs = 10000,
            SubscribedTopicRegex = "^" + topic.Name + "$",
        };

        var joined = await RequestAsync<ConsumerGroupHeartbeatResponse>(request, 1);

        Assert.Equal((short)KafkaErrorCode.None, joined.ErrorCode);
        Assert.Equal(memberId, joined.MemberId);
        var assigned = Assert.Single(joined.Assignment!.TopicPartitions);
        Assert.Equal(topic.TopicId, assigned.TopicId);
        Assert.Equal([0, 1], assigned.Partitions.Order());
    }

    [Fact]
    public async Task A_heartbeat_with_an_epoch_the_coordinator_does_not_hold_is_fenced_member_epoch()
    {
        var topic = await fixture.CreateTopicAsync("kip848-wire-fenced", partitions: 1);
        var groupId = NewGroup();
        var joined = await RequestAsync<ConsumerGroupHeartbeatResponse>(Join(groupId, topic.Name), 0);

        var ahead = await RequestAsync<ConsumerGroupHeartbeatResponse>(Heartbeat(groupId, joined.MemberId!, joined.MemberEpoch + 1), 0);
        var current = await RequestAsync<ConsumerGroupHeartbeatResponse>(Heartbeat(groupId, joined.MemberId!, joined.MemberEpoch), 1);

        Assert.Equal((short)KafkaErrorCode.FencedMemberEpoch, ahead.ErrorCode);
        Assert.Equal((short)KafkaErrorCode.None, current.ErrorCode);
        Assert.Equal(joined.MemberEpoch, current.MemberEpoch);
    }

    [Fact]
    public async Task Leaving_with_epoch_minus_one_ends_the_membership()
    {
        var topic = await fixture.CreateTopicAsync("kip848-wire-leave", partitions: 2);
        var groupId = NewGroup();
        var joined = await RequestAsync<ConsumerGroupHeartbeatResponse>(Join(groupId, topic.Name), 0);

        var left = await RequestAsync<ConsumerGroupHeartbeatResponse>(Heartbeat(groupId, joined.MemberId!, -1), 0);
        var afterwards = await RequestAsync<ConsumerGroupHeartbeatResponse>(Heartbeat(groupId, joined.MemberId!, joined.MemberEpoch), 0);
        var described = await DescribeAsync(groupId);

        Assert.Equal((short)KafkaErrorCode.None, left.ErrorCode);
        Assert.Equal(-1, left.MemberEpoch);
        Assert.Equal((short)KafkaErrorCode.UnknownMemberId, afterwards.ErrorCode);
        Assert.Equal((short)KafkaErrorCode.None, described.ErrorCode);
        Assert.Equal("empty", described.GroupState, ignoreCase: true);
        Assert.Empty(described.Members);
    }

    [Fact]
    public async Task Describe_v0_shows_the_member_its_assignment_and_the_assignor()
    {
        var topic = await fixture.CreateTopicAsync("kip848-wire-describe", partitions: 2);
        var groupId = NewGroup();
        var join = Join(groupId, topic.Name);
        join.ServerAssignor = "range";
        var joined = await RequestAsync<ConsumerGroupHeartbeatResponse>(join, 0);

        var described = await DescribeAsync(groupId);
        var unknown = await DescribeAsync(NewGroup());

        Assert.Equal((short)KafkaErrorCode.None, described.ErrorCode);
        Assert.Equal(groupId, described.GroupId);
        Assert.Equal("range", described.AssignorName);
        Assert.Equal(joined.MemberEpoch, described.GroupEpoch);
        var member = Assert.Single(described.Members);
        Assert.Equal(joined.MemberId, member.MemberId);
        Assert.Equal(joined.MemberEpoch, member.MemberEpoch);
        Assert.Equal("gateway-tests", member.ClientId);
        Assert.Equal([topic.Name], member.SubscribedTopicNames);
        var owned = Assert.Single(member.Assignment.TopicPartitions);
        Assert.Equal((topic.TopicId, topic.Name), (owned.TopicId, owned.TopicName));
        Assert.Equal([0, 1], owned.Partitions.Order());
        Assert.Equal((short)KafkaErrorCode.GroupIdNotFound, unknown.ErrorCode);
    }

    [Fact]
    public async Task Malformed_heartbeats_are_invalid_request_and_a_bad_regex_is_invalid_regular_expression()
    {
        var groupId = NewGroup();
        var noSubscription = new ConsumerGroupHeartbeatRequest { GroupId = groupId, MemberEpoch = 0, RebalanceTimeoutMs = 10000 };
        var noRebalanceTimeout = new ConsumerGroupHeartbeatRequest { GroupId = groupId, MemberEpoch = 0, SubscribedTopicNames = ["t"] };
        var noMemberId = new ConsumerGroupHeartbeatRequest { GroupId = groupId, MemberEpoch = 3 };
        var noGroupId = Join("", "t");
        var badRegex = new ConsumerGroupHeartbeatRequest { GroupId = groupId, MemberId = "m", MemberEpoch = 0, RebalanceTimeoutMs = 10000, SubscribedTopicRegex = "(" };

        Assert.Equal((short)KafkaErrorCode.InvalidRequest, (await RequestAsync<ConsumerGroupHeartbeatResponse>(noSubscription, 0)).ErrorCode);
        Assert.Equal((short)KafkaErrorCode.InvalidRequest, (await RequestAsync<ConsumerGroupHeartbeatResponse>(noRebalanceTimeout, 0)).ErrorCode);
        Assert.Equal((short)KafkaErrorCode.InvalidRequest, (await RequestAsync<ConsumerGroupHeartbeatResponse>(noMemberId, 1)).ErrorCode);
        Assert.Equal((short)KafkaErrorCode.InvalidRequest, (await RequestAsync<ConsumerGroupHeartbeatResponse>(noGroupId, 0)).ErrorCode);
        Assert.Equal((short)KafkaErrorCode.InvalidRegularExpression, (await RequestAsync<ConsumerGroupHeartbeatResponse>(badRegex, 1)).ErrorCode);
    }

    private static string NewGroup() => "kip848-wire-" + Guid.NewGuid().ToString("N");

    /// <summary>A v0-style join: no member id (the coordinator names the member), a subscription and a rebalance timeout.</summary>
    private static ConsumerGroupHeartbeatRequest Join(string groupId, string topic) => new()
    {
        GroupId = groupId,
        MemberId = "",
        MemberEpoch = 0,
        RebalanceTimeoutMs = 10000,
        SubscribedTopicNames = [topic],
    };

    /// <summary>A plain heartbeat: every "unchanged" field left null/-1 as a client sends it.</summary>
    private static ConsumerGroupHeartbeatRequest Heartbeat(string groupId, string memberId, int epoch) => new()
    {
        GroupId = groupId,
        MemberId = memberId,
        MemberEpoch = epoch,
    };

    private async Task<ConsumerGroupDescribeResponse.DescribedGroup> DescribeAsync(string groupId)
    {
        var response = await RequestAsync<ConsumerGroupDescribeResponse>(new ConsumerGroupDescribeRequest { GroupIds = [groupId] }, 0);
        return Assert.Single(response.Groups);
    }

    private async Task<TResponse> RequestAsync<TResponse>(Orleans.Kafka.Protocol.IRequest request, short version)
        where TResponse : IResponse, new()
    {
        ApiMessageTypes.TryGet((short)request.ApiKey, out var info);
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(request, version, correlationId: 11);
        var (correlationId, response) = await client.ReceiveAsync<TResponse>(version, info!.ResponseHeaderVersion(version));
        Assert.Equal(11, correlationId);
        return response;
    }
}
