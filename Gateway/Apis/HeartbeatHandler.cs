using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>Heartbeat v0-v4: keeps the member's session and tells it when a rebalance is under way (REBALANCE_IN_PROGRESS).</summary>
internal sealed class HeartbeatHandler(IGrainFactory grains) : KafkaApiHandler<HeartbeatRequest, HeartbeatResponse>
{
    public override ApiKey ApiKey => ApiKey.Heartbeat;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override async ValueTask<HeartbeatResponse?> HandleAsync(KafkaRequestContext context, HeartbeatRequest request, short version, CancellationToken cancellationToken)
    {
        var error = request.GroupId.Length == 0
            ? KafkaErrorCode.InvalidGroupId
            : await grains.Group(request.GroupId)
                .Heartbeat(request.GenerationId, request.MemberId, version >= 3 ? request.GroupInstanceId : null)
                .ConfigureAwait(false);
        return new HeartbeatResponse { ErrorCode = (short)error };
    }
}
