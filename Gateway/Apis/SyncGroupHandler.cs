using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>SyncGroup v0-v5: the leader's assignments in, each member's assignment out; v5 checks protocol type and name.</summary>
internal sealed class SyncGroupHandler(IGrainFactory grains) : KafkaApiHandler<SyncGroupRequest, SyncGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.SyncGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<SyncGroupResponse?> HandleAsync(KafkaRequestContext context, SyncGroupRequest request, short version, CancellationToken cancellationToken)
    {
        if (request.GroupId.Length == 0)
        {
            return new SyncGroupResponse { ErrorCode = (short)KafkaErrorCode.InvalidGroupId };
        }

        var command = new SyncGroupCommand(
            request.GenerationId,
            request.MemberId,
            version >= 3 ? request.GroupInstanceId : null,
            version >= 5 ? request.ProtocolType : null,
            version >= 5 ? request.ProtocolName : null,
            [.. request.Assignments.Select(a => new MemberAssignment(a.MemberId, a.Assignment))]);
        var result = await grains.Group(request.GroupId).Sync(command).WaitAsync(cancellationToken).ConfigureAwait(false);
        return new SyncGroupResponse
        {
            ErrorCode = (short)result.Error,
            ProtocolType = result.ProtocolType,
            ProtocolName = result.ProtocolName,
            Assignment = result.Assignment,
        };
    }
}
