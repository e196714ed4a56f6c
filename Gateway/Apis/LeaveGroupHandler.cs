using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// LeaveGroup v0-v5: v0-v2 name one member (its error is the top-level error); v3+ batch members, by member id or by
/// group.instance.id, each with its own error.
/// </summary>
internal sealed class LeaveGroupHandler(IGrainFactory grains) : KafkaApiHandler<LeaveGroupRequest, LeaveGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.LeaveGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<LeaveGroupResponse?> HandleAsync(KafkaRequestContext context, LeaveGroupRequest request, short version, CancellationToken cancellationToken)
    {
        if (request.GroupId.Length == 0)
        {
            return new LeaveGroupResponse { ErrorCode = (short)KafkaErrorCode.InvalidGroupId };
        }

        IReadOnlyList<LeavingMember> leaving = version >= 3
            ? [.. request.Members.Select(m => new LeavingMember(m.MemberId, m.GroupInstanceId))]
            : [new LeavingMember(request.MemberId, null)];
        var result = await grains.Group(request.GroupId).Leave(leaving).ConfigureAwait(false);
        if (version < 3)
        {
            var error = result.Error != KafkaErrorCode.None ? result.Error : result.Members[0].Error;
            return new LeaveGroupResponse { ErrorCode = (short)error };
        }

        var response = new LeaveGroupResponse { ErrorCode = (short)result.Error };
        response.Members.AddRange(result.Members.Select(m => new LeaveGroupResponse.MemberResponse
        {
            MemberId = m.MemberId,
            GroupInstanceId = m.GroupInstanceId,
            ErrorCode = (short)m.Error,
        }));
        return response;
    }
}
