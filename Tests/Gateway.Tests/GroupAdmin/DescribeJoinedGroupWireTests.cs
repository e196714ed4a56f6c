using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.GroupAdmin;

/// <summary>
/// A static member joins and syncs over the wire, then DescribeGroups / ListGroups / DeleteGroups see it: instance id
/// (v4+), metadata and assignment bytes as sent, the state and type filters, NON_EMPTY_GROUP while it is a member.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class DescribeJoinedGroupWireTests(GatewayFixture fixture)
{
    private static readonly byte[] Subscription = [0, 1, 0, 0, 0, 1, 0, 5, (byte)'t', (byte)'o', (byte)'p', (byte)'i', (byte)'c', 0, 0, 0, 0];
    private static readonly byte[] Assignment = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0];

    [Fact]
    public async Task A_stable_static_member_is_described_with_instance_id_metadata_and_assignment()
    {
        var group = $"wire-described-{Guid.NewGuid():N}";
        var memberId = await JoinAndSyncAsync(group, "instance-1");

        var v5 = Assert.Single((await GroupWire.RequestAsync<DescribeGroupsResponse>(fixture, new DescribeGroupsRequest { Groups = [group], IncludeAuthorizedOperations = true }, 5)).Groups);
        Assert.Equal(0, v5.ErrorCode);
        Assert.Equal("Stable", v5.GroupState);
        Assert.Equal("consumer", v5.ProtocolType);
        Assert.Equal("range", v5.ProtocolData);
        Assert.NotEqual(int.MinValue, v5.AuthorizedOperations);
        var member = Assert.Single(v5.Members);
        Assert.Equal(memberId, member.MemberId);
        Assert.Equal("instance-1", member.GroupInstanceId);
        Assert.Equal("gateway-tests", member.ClientId);
        Assert.Contains("127.0.0.1", member.ClientHost, StringComparison.Ordinal);
        Assert.Equal(Subscription, member.MemberMetadata);
        Assert.Equal(Assignment, member.MemberAssignment);

        // v3 has no instance ids; v0 no authorized operations.
        var v3 = Assert.Single((await GroupWire.RequestAsync<DescribeGroupsResponse>(fixture, new DescribeGroupsRequest { Groups = [group] }, 3)).Groups);
        Assert.Null(Assert.Single(v3.Members).GroupInstanceId);
        Assert.Equal(int.MinValue, v3.AuthorizedOperations);
        var v0 = Assert.Single((await GroupWire.RequestAsync<DescribeGroupsResponse>(fixture, new DescribeGroupsRequest { Groups = [group] }, 0)).Groups);
        Assert.Equal(Assignment, Assert.Single(v0.Members).MemberAssignment);

        var stable = await GroupWire.RequestAsync<ListGroupsResponse>(fixture, new ListGroupsRequest { StatesFilter = ["stable"], TypesFilter = ["Classic"] }, 5);
        var listed = Assert.Single(stable.Groups, g => g.GroupId == group);
        Assert.Equal(("consumer", "Stable", "classic"), (listed.ProtocolType, listed.GroupState, listed.GroupType));
        var empty = await GroupWire.RequestAsync<ListGroupsResponse>(fixture, new ListGroupsRequest { StatesFilter = ["Empty"] }, 4);
        Assert.DoesNotContain(empty.Groups, g => g.GroupId == group);
        var consumerType = await GroupWire.RequestAsync<ListGroupsResponse>(fixture, new ListGroupsRequest { TypesFilter = ["consumer"] }, 5);
        Assert.DoesNotContain(consumerType.Groups, g => g.GroupId == group);
        Assert.Contains((await GroupWire.RequestAsync<ListGroupsResponse>(fixture, new ListGroupsRequest(), 0)).Groups, g => g.GroupId == group);

        var refused = await GroupWire.RequestAsync<DeleteGroupsResponse>(fixture, new DeleteGroupsRequest { GroupsNames = [group] }, 2);
        Assert.Equal((short)KafkaErrorCode.NonEmptyGroup, Assert.Single(refused.Results).ErrorCode);
    }

    [Fact]
    public async Task A_group_emptied_by_its_last_member_leaving_is_Empty_and_then_deleted()
    {
        var group = $"wire-deleted-{Guid.NewGuid():N}";
        var memberId = await JoinAndSyncAsync(group, instanceId: null);
        var leave = await GroupWire.RequestAsync<LeaveGroupResponse>(fixture, new LeaveGroupRequest { GroupId = group, MemberId = memberId }, 0);
        Assert.Equal(0, leave.ErrorCode);

        var empty = Assert.Single((await GroupWire.RequestAsync<DescribeGroupsResponse>(fixture, new DescribeGroupsRequest { Groups = [group] }, 5)).Groups);
        Assert.Equal(("Empty", "consumer", ""), (empty.GroupState, empty.ProtocolType, empty.ProtocolData));
        Assert.Empty(empty.Members);

        var deleted = await GroupWire.RequestAsync<DeleteGroupsResponse>(fixture, new DeleteGroupsRequest { GroupsNames = [group, group] }, 2);
        Assert.Equal(0, Assert.Single(deleted.Results).ErrorCode);

        var dead = Assert.Single((await GroupWire.RequestAsync<DescribeGroupsResponse>(fixture, new DescribeGroupsRequest { Groups = [group] }, 5)).Groups);
        Assert.Equal((0, "Dead"), (dead.ErrorCode, dead.GroupState));
        Assert.DoesNotContain((await GroupWire.RequestAsync<ListGroupsResponse>(fixture, new ListGroupsRequest(), 3)).Groups, g => g.GroupId == group);
        var again = await GroupWire.RequestAsync<DeleteGroupsResponse>(fixture, new DeleteGroupsRequest { GroupsNames = [group] }, 0);
        Assert.Equal((short)KafkaErrorCode.GroupIdNotFound, Assert.Single(again.Results).ErrorCode);
    }

    /// <summary>Joins as the only member (v5: a static member gets its id at once; a dynamic one retries with the id it is given) and syncs.</summary>
    private async Task<string> JoinAndSyncAsync(string group, string? instanceId)
    {
        var join = new JoinGroupRequest
        {
            GroupId = group,
            SessionTimeoutMs = 30000,
            RebalanceTimeoutMs = 30000,
            MemberId = string.Empty,
            GroupInstanceId = instanceId,
            ProtocolType = "consumer",
            Protocols = [new() { Name = "range", Metadata = Subscription }],
        };
        var joined = await GroupWire.RequestAsync<JoinGroupResponse>(fixture, join, 5);
        if (joined.ErrorCode == (short)KafkaErrorCode.MemberIdRequired)
        {
            join.MemberId = joined.MemberId;
            joined = await GroupWire.RequestAsync<JoinGroupResponse>(fixture, join, 5);
        }

        Assert.Equal(0, joined.ErrorCode);
        Assert.Equal(joined.MemberId, joined.Leader);
        var sync = new SyncGroupRequest
        {
            GroupId = group,
            GenerationId = joined.GenerationId,
            MemberId = joined.MemberId,
            GroupInstanceId = instanceId,
            Assignments = [new() { MemberId = joined.MemberId, Assignment = Assignment }],
        };
        var synced = await GroupWire.RequestAsync<SyncGroupResponse>(fixture, sync, 3);
        Assert.Equal(0, synced.ErrorCode);
        Assert.Equal(Assignment, synced.Assignment);
        return joined.MemberId;
    }
}
