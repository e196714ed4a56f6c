using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// JoinGroup v0-v9 (classic protocol). v0 has no rebalance timeout (the session timeout stands in, as in Kafka); v4+
/// requires a known member id (KIP-394: MEMBER_ID_REQUIRED with the id to rejoin with); v5+ carries group.instance.id;
/// v9 may answer a rejoining static leader with skip_assignment. An empty group id is INVALID_GROUP_ID.
/// </summary>
internal sealed class JoinGroupHandler(IGrainFactory grains) : KafkaApiHandler<JoinGroupRequest, JoinGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.JoinGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override async ValueTask<JoinGroupResponse?> HandleAsync(KafkaRequestContext context, JoinGroupRequest request, short version, CancellationToken cancellationToken)
    {
        if (request.GroupId.Length == 0)
        {
            return Response(JoinGroupResult.Failed(KafkaErrorCode.InvalidGroupId, request.MemberId), version);
        }

        var command = new JoinGroupCommand(
            request.MemberId,
            version >= 5 ? request.GroupInstanceId : null,
            context.ClientId ?? "",
            GroupRequests.ClientHost(context),
            request.SessionTimeoutMs,
            version >= 1 ? request.RebalanceTimeoutMs : request.SessionTimeoutMs,
            request.ProtocolType,
            [.. request.Protocols.Select(p => new GroupProtocol(p.Name, p.Metadata))],
            RequireKnownMemberId: version >= 4,
            SupportsSkipAssignment: version >= 9);
        var result = await grains.Group(request.GroupId).Join(command).WaitAsync(cancellationToken).ConfigureAwait(false);
        return Response(result, version);
    }

    private static JoinGroupResponse Response(JoinGroupResult result, short version)
    {
        var response = new JoinGroupResponse
        {
            ErrorCode = (short)result.Error,
            GenerationId = result.GenerationId,
            ProtocolType = result.ProtocolType,
            // Nullable from v7; before that an error carries "".
            ProtocolName = result.ProtocolName ?? (version >= 7 ? null : ""),
            Leader = result.LeaderId,
            SkipAssignment = result.SkipAssignment,
            MemberId = result.MemberId,
        };
        response.Members.AddRange(result.Members.Select(m => new JoinGroupResponse.JoinGroupResponseMember
        {
            MemberId = m.MemberId,
            GroupInstanceId = m.GroupInstanceId,
            Metadata = m.Metadata,
        }));
        return response;
    }
}
