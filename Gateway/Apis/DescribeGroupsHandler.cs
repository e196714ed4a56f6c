using Microsoft.Extensions.Logging;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.DescribeGroupsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// DescribeGroups v0-v5, asking each group's grain in parallel. As in Kafka:
/// <list type="bullet">
/// <item>a group that does not exist (the empty id included) is described as state "Dead" with error NONE, no protocol
///   and no members (GROUP_ID_NOT_FOUND only comes with v6, which this protocol set does not define);</item>
/// <item>the protocol name and members' metadata and assignment are given only while the group is Stable; in other
///   states members are listed with empty metadata and assignment;</item>
/// <item>v3+ carries authorized operations when asked (READ, DELETE, DESCRIBE: all a group supports, there being no
///   authorizer), else -2147483648; v4+ carries members' group.instance.id.</item>
/// </list>
/// Each group id is answered once per occurrence, in request order; a group whose grain cannot answer gets
/// COORDINATOR_NOT_AVAILABLE (the client retries it).
/// </summary>
internal sealed class DescribeGroupsHandler(IGrainFactory grains, ILogger<DescribeGroupsHandler> logger) : KafkaApiHandler<DescribeGroupsRequest, DescribeGroupsResponse>
{
    private const int Read = 3, Delete = 6, Describe = 8;

    /// <summary>AclEntry.supportedOperations(GROUP): READ, DESCRIBE, DELETE.</summary>
    internal const int GroupOperations = (1 << Read) | (1 << Delete) | (1 << Describe);

    public override ApiKey ApiKey => ApiKey.DescribeGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<DescribeGroupsResponse?> HandleAsync(KafkaRequestContext context, DescribeGroupsRequest request, short version, CancellationToken cancellationToken)
    {
        var operations = version >= 3 && request.IncludeAuthorizedOperations ? GroupOperations : AuthorizedOperations.NotRequested;
        var lookups = request.Groups.Select(id => DescribeAsync(id, operations, cancellationToken));
        return new DescribeGroupsResponse { Groups = [.. await Task.WhenAll(lookups).ConfigureAwait(false)] };
    }

    private async Task<DescribedGroup> DescribeAsync(string groupId, int operations, CancellationToken cancellationToken)
    {
        if (groupId.Length == 0)
        {
            // No group can exist under the empty id (JoinGroup refuses it), so do not activate a grain for it.
            return Dead(groupId, operations);
        }

        var group = await GroupAdminCalls.TryAsync(logger, grains.GetGrain<IConsumerGroupGrain>(groupId).Describe().WaitAsync(cancellationToken), $"group '{groupId}'")
            .ConfigureAwait(false);
        if (group is null)
        {
            return new DescribedGroup { ErrorCode = (short)GroupAdminCalls.Unavailable, GroupId = groupId, GroupState = string.Empty, Members = [] };
        }

        if (!group.Exists || group.State == GroupStates.Dead)
        {
            return Dead(groupId, operations);
        }

        var stable = group.State == GroupStates.Stable;
        return new DescribedGroup
        {
            ErrorCode = (short)KafkaErrorCode.None,
            GroupId = groupId,
            GroupState = group.State,
            ProtocolType = group.ProtocolType,
            ProtocolData = stable ? group.ProtocolName : string.Empty,
            Members =
            [
                .. group.Members.Select(m => new DescribedGroupMember
                {
                    MemberId = m.MemberId,
                    GroupInstanceId = m.GroupInstanceId,
                    ClientId = m.ClientId,
                    ClientHost = m.ClientHost,
                    MemberMetadata = stable ? m.Metadata : [],
                    MemberAssignment = stable ? m.Assignment : [],
                }),
            ],
            AuthorizedOperations = operations,
        };
    }

    private static DescribedGroup Dead(string groupId, int operations) => new()
    {
        ErrorCode = (short)KafkaErrorCode.None,
        GroupId = groupId,
        GroupState = GroupStates.Dead,
        ProtocolType = string.Empty,
        ProtocolData = string.Empty,
        Members = [],
        AuthorizedOperations = operations,
    };
}
