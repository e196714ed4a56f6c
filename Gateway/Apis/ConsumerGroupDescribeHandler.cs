using Microsoft.Extensions.Logging;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.ConsumerGroupDescribeResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// ConsumerGroupDescribe (KIP-848), each group's grain asked in parallel: GROUP_ID_NOT_FOUND for a group that does not
/// exist or is a classic group, else epochs, assignor and members with their current and target assignments.
/// </summary>
internal sealed class ConsumerGroupDescribeHandler(IGrainFactory grains, ILogger<ConsumerGroupDescribeHandler> logger)
    : KafkaApiHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>
{
    public override ApiKey ApiKey => ApiKey.ConsumerGroupDescribe;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<ConsumerGroupDescribeResponse?> HandleAsync(
        KafkaRequestContext context, ConsumerGroupDescribeRequest request, short version, CancellationToken cancellationToken)
    {
        var operations = request.IncludeAuthorizedOperations ? DescribeGroupsHandler.GroupOperations : AuthorizedOperations.NotRequested;
        var lookups = request.GroupIds.Select(id => DescribeAsync(id, operations, cancellationToken));
        return new ConsumerGroupDescribeResponse { Groups = [.. await Task.WhenAll(lookups).ConfigureAwait(false)] };
    }

    private async Task<DescribedGroup> DescribeAsync(string groupId, int operations, CancellationToken cancellationToken)
    {
        if (groupId.Length == 0)
        {
            return new DescribedGroup { GroupId = groupId, ErrorCode = (short)KafkaErrorCode.InvalidGroupId, ErrorMessage = "GroupId can't be empty." };
        }

        var group = await GroupAdminCalls.TryAsync(logger, grains.Group(groupId).DescribeConsumerGroup().WaitAsync(cancellationToken), $"group '{groupId}'")
            .ConfigureAwait(false);
        if (group is null)
        {
            return new DescribedGroup { GroupId = groupId, ErrorCode = (short)GroupAdminCalls.Unavailable };
        }

        if (group.Error != KafkaErrorCode.None)
        {
            return new DescribedGroup { GroupId = groupId, ErrorCode = (short)group.Error, ErrorMessage = group.ErrorMessage, GroupState = group.State };
        }

        return new DescribedGroup
        {
            GroupId = groupId,
            GroupState = group.State,
            GroupEpoch = group.GroupEpoch,
            AssignmentEpoch = group.AssignmentEpoch,
            AssignorName = group.AssignorName,
            AuthorizedOperations = operations,
            Members = [.. group.Members.Select(m => new Member
            {
                MemberId = m.MemberId,
                InstanceId = m.InstanceId,
                RackId = m.RackId,
                MemberEpoch = m.MemberEpoch,
                ClientId = m.ClientId,
                ClientHost = m.ClientHost,
                SubscribedTopicNames = [.. m.SubscribedTopicNames],
                SubscribedTopicRegex = m.SubscribedTopicRegex,
                Assignment = ToAssignment(m.Assignment),
                TargetAssignment = ToAssignment(m.TargetAssignment),
            })],
        };
    }

    private static Assignment ToAssignment(IReadOnlyList<TopicIdPartitions> partitions) => new()
    {
        TopicPartitions = [.. partitions.Select(t => new ConsumerGroupDescribeResponse.TopicPartitions { TopicId = t.TopicId, TopicName = t.TopicName, Partitions = [.. t.Partitions] })],
    };
}
