using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.Groups;

/// <summary>Group APIs on the wire, version by version: what the handlers add around the grain.</summary>
[Collection(GroupGatewayCollection.Name)]
public sealed class GroupWireTests(GroupGatewayFixture fixture)
{
    [Fact]
    public async Task JoinGroup_with_an_empty_group_id_is_invalid_group_id()
    {
        var response = await RequestAsync<JoinGroupResponse>(Join(""), 5);

        Assert.Equal((short)KafkaErrorCode.InvalidGroupId, response.ErrorCode);
    }

    [Fact]
    public async Task JoinGroup_v4_hands_out_a_member_id_built_from_the_client_id_and_v3_joins_at_once()
    {
        var v4 = await RequestAsync<JoinGroupResponse>(Join(NewGroup()), 4);
        var v3 = await RequestAsync<JoinGroupResponse>(Join(NewGroup()), 3);

        Assert.Equal((short)KafkaErrorCode.MemberIdRequired, v4.ErrorCode);
        Assert.StartsWith("gateway-tests-", v4.MemberId, StringComparison.Ordinal);
        Assert.Equal((short)KafkaErrorCode.None, v3.ErrorCode);
        Assert.Equal(1, v3.GenerationId);
        Assert.Equal(v3.MemberId, v3.Leader);
        Assert.Single(v3.Members);
    }

    [Fact]
    public async Task LeaveGroup_v0_answers_with_a_top_level_error_and_v3_per_member()
    {
        var groupId = NewGroup();
        var joined = await RequestAsync<JoinGroupResponse>(Join(groupId), 3);

        var v0 = await RequestAsync<LeaveGroupResponse>(new LeaveGroupRequest { GroupId = groupId, MemberId = "nobody" }, 0);
        var v3 = await RequestAsync<LeaveGroupResponse>(new LeaveGroupRequest
        {
            GroupId = groupId,
            Members = [new LeaveGroupRequest.MemberIdentity { MemberId = joined.MemberId }, new LeaveGroupRequest.MemberIdentity { MemberId = "nobody" }],
        }, 3);

        Assert.Equal((short)KafkaErrorCode.UnknownMemberId, v0.ErrorCode);
        Assert.Equal((short)KafkaErrorCode.None, v3.ErrorCode);
        Assert.Equal([(short)KafkaErrorCode.None, (short)KafkaErrorCode.UnknownMemberId], v3.Members.Select(m => m.ErrorCode));
    }

    [Fact]
    public async Task OffsetCommit_refuses_unknown_partitions_and_OffsetFetch_v8_answers_several_groups()
    {
        var topic = await fixture.CreateTopicAsync("wire-offsets", partitions: 2);
        var (a, b) = (NewGroup(), NewGroup());
        var commit = await RequestAsync<OffsetCommitResponse>(Commit(a, topic.Name, (0, 5), (1, 6), (9, 7)), 8);
        await RequestAsync<OffsetCommitResponse>(Commit(b, topic.Name, (1, 60)), 2);

        var fetch = await RequestAsync<OffsetFetchResponse>(new OffsetFetchRequest
        {
            Groups =
            [
                new OffsetFetchRequest.OffsetFetchRequestGroup { GroupId = a, Topics = null },
                new OffsetFetchRequest.OffsetFetchRequestGroup
                {
                    GroupId = b,
                    Topics = [new OffsetFetchRequest.OffsetFetchRequestTopics { Name = topic.Name, PartitionIndexes = [0, 1] }],
                },
            ],
            RequireStable = true,
        }, 8);
        var v1 = await RequestAsync<OffsetFetchResponse>(new OffsetFetchRequest
        {
            GroupId = a,
            Topics = [new OffsetFetchRequest.OffsetFetchRequestTopic { Name = topic.Name, PartitionIndexes = [1] }],
        }, 1);

        Assert.Equal(
            [(short)KafkaErrorCode.None, (short)KafkaErrorCode.None, (short)KafkaErrorCode.UnknownTopicOrPartition],
            commit.Topics.Single().Partitions.Select(p => p.ErrorCode));
        Assert.Equal([a, b], fetch.Groups.Select(g => g.GroupId));
        Assert.Equal([(0, 5L), (1, 6L)], fetch.Groups[0].Topics.Single().Partitions.Select(p => (p.PartitionIndex, p.CommittedOffset)));
        Assert.Equal([(0, -1L), (1, 60L)], fetch.Groups[1].Topics.Single().Partitions.Select(p => (p.PartitionIndex, p.CommittedOffset)));
        Assert.Equal(6, v1.Topics.Single().Partitions.Single().CommittedOffset);
    }

    [Fact]
    public async Task OffsetDelete_of_an_unknown_group_is_group_id_not_found_and_of_an_empty_group_deletes()
    {
        var topic = await fixture.CreateTopicAsync("wire-delete", partitions: 1);
        var groupId = NewGroup();
        await RequestAsync<OffsetCommitResponse>(Commit(groupId, topic.Name, (0, 3)), 8);

        var unknown = await RequestAsync<OffsetDeleteResponse>(Delete(NewGroup(), topic.Name), 0);
        var deleted = await RequestAsync<OffsetDeleteResponse>(Delete(groupId, topic.Name), 0);
        var fetched = await RequestAsync<OffsetFetchResponse>(new OffsetFetchRequest
        {
            GroupId = groupId,
            Topics = [new OffsetFetchRequest.OffsetFetchRequestTopic { Name = topic.Name, PartitionIndexes = [0] }],
        }, 7);

        Assert.Equal((short)KafkaErrorCode.GroupIdNotFound, unknown.ErrorCode);
        Assert.Equal((short)KafkaErrorCode.None, deleted.ErrorCode);
        Assert.Equal((short)KafkaErrorCode.None, deleted.Topics.Single().Partitions.Single().ErrorCode);
        Assert.Equal(-1, fetched.Topics.Single().Partitions.Single().CommittedOffset);
    }

    private static string NewGroup() => "wire-" + Guid.NewGuid().ToString("N");

    private static JoinGroupRequest Join(string groupId) => new()
    {
        GroupId = groupId,
        SessionTimeoutMs = 10000,
        RebalanceTimeoutMs = 10000,
        ProtocolType = "consumer",
        Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = [0, 0, 0, 0, 0, 0] }],
    };

    private static OffsetCommitRequest Commit(string groupId, string topic, params (int Partition, long Offset)[] offsets) => new()
    {
        GroupId = groupId,
        GenerationIdOrMemberEpoch = -1,
        Topics =
        [
            new OffsetCommitRequest.OffsetCommitRequestTopic
            {
                Name = topic,
                Partitions = [.. offsets.Select(o => new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = o.Partition, CommittedOffset = o.Offset })],
            },
        ],
    };

    private static OffsetDeleteRequest Delete(string groupId, string topic) => new()
    {
        GroupId = groupId,
        Topics = [new OffsetDeleteRequest.OffsetDeleteRequestTopic { Name = topic, Partitions = [new OffsetDeleteRequest.OffsetDeleteRequestPartition { PartitionIndex = 0 }] }],
    };

    private async Task<TResponse> RequestAsync<TResponse>(Orleans.Kafka.Protocol.IRequest request, short version)
        where TResponse : IResponse, new()
    {
        ApiMessageTypes.TryGet((short)request.ApiKey, out var info);
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(request, version, correlationId: 7);
        var (correlationId, response) = await client.ReceiveAsync<TResponse>(version, info!.ResponseHeaderVersion(version));
        Assert.Equal(7, correlationId);
        return response;
    }
}
