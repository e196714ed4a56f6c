using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.ConsumerGroupHeartbeatResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// ConsumerGroupHeartbeat v0-v1 (KIP-848): join (epoch 0), heartbeat, leave (-1, static -2). The group grain does the
/// work; v1 adds the topic regex. An empty group id is INVALID_REQUEST, as Kafka's request validation answers.
/// </summary>
internal sealed class ConsumerGroupHeartbeatHandler(IGrainFactory grains) : KafkaApiHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>
{
    public override ApiKey ApiKey => ApiKey.ConsumerGroupHeartbeat;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<ConsumerGroupHeartbeatResponse?> HandleAsync(
        KafkaRequestContext context, ConsumerGroupHeartbeatRequest request, short version, CancellationToken cancellationToken)
    {
        if (request.GroupId.Length == 0)
        {
            return new ConsumerGroupHeartbeatResponse { ErrorCode = (short)KafkaErrorCode.InvalidRequest, ErrorMessage = "GroupId can't be empty." };
        }

        var command = new ConsumerHeartbeatCommand(
            request.MemberId,
            request.MemberEpoch,
            request.InstanceId,
            request.RackId,
            request.RebalanceTimeoutMs,
            request.SubscribedTopicNames,
            version >= 1 ? request.SubscribedTopicRegex : null,
            request.ServerAssignor,
            request.TopicPartitions?.Select(t => new TopicIdPartitions(t.TopicId, t.Partitions)).ToList(),
            context.ClientId ?? "",
            GroupRequests.ClientHost(context));
        var result = await grains.Group(request.GroupId).ConsumerHeartbeat(command).ConfigureAwait(false);
        return new ConsumerGroupHeartbeatResponse
        {
            ErrorCode = (short)result.Error,
            ErrorMessage = result.ErrorMessage,
            MemberId = result.MemberId,
            MemberEpoch = result.MemberEpoch,
            HeartbeatIntervalMs = result.HeartbeatIntervalMs,
            Assignment = result.Assignment is null ? null : new AssignmentData
            {
                TopicPartitions = [.. result.Assignment.Select(t => new ConsumerGroupHeartbeatResponse.TopicPartitions { TopicId = t.TopicId, Partitions = [.. t.Partitions] })],
            },
        };
    }
}
