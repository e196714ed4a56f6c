using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.GroupAdmin;

/// <summary>DescribeGroups / DeleteGroups / ListGroups answers a real client does not provoke, checked on the wire.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GroupAdminWireTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task DescribeGroups_describes_the_empty_group_id_as_Dead_without_error(short version)
    {
        var request = new DescribeGroupsRequest { Groups = [""], IncludeAuthorizedOperations = false };

        var response = await GroupWire.RequestAsync<DescribeGroupsResponse>(fixture, request, version);

        var group = Assert.Single(response.Groups);
        Assert.Equal(0, group.ErrorCode);
        Assert.Equal(string.Empty, group.GroupId);
        Assert.Equal("Dead", group.GroupState);
        Assert.Equal(string.Empty, group.ProtocolType);
        Assert.Equal(string.Empty, group.ProtocolData);
        Assert.Empty(group.Members);
        if (version >= 3)
        {
            Assert.Equal(int.MinValue, group.AuthorizedOperations);
        }
    }

    [Fact]
    public async Task DescribeGroups_v3_reports_read_delete_describe_when_operations_are_asked_for()
    {
        var request = new DescribeGroupsRequest { Groups = [""], IncludeAuthorizedOperations = true };

        var response = await GroupWire.RequestAsync<DescribeGroupsResponse>(fixture, request, 3);

        Assert.Equal((1 << 3) | (1 << 6) | (1 << 8), Assert.Single(response.Groups).AuthorizedOperations);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task DeleteGroups_answers_GROUP_ID_NOT_FOUND_for_the_empty_id_once_however_often_it_is_named(short version)
    {
        var request = new DeleteGroupsRequest { GroupsNames = ["", ""] };

        var response = await GroupWire.RequestAsync<DeleteGroupsResponse>(fixture, request, version);

        var result = Assert.Single(response.Results);
        Assert.Equal(string.Empty, result.GroupId);
        Assert.Equal((short)KafkaErrorCode.GroupIdNotFound, result.ErrorCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task ListGroups_with_a_filter_no_group_can_match_lists_nothing(short version)
    {
        var request = new ListGroupsRequest
        {
            StatesFilter = version >= 4 ? ["NoSuchState"] : [],
            TypesFilter = version >= 5 ? ["no-such-type"] : [],
        };

        var response = await GroupWire.RequestAsync<ListGroupsResponse>(fixture, request, version);

        Assert.Equal(0, response.ErrorCode);
        if (version >= 4)
        {
            Assert.Empty(response.Groups);
        }
    }
}
