using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.FindCoordinatorResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// FindCoordinator v0-v6: v0-v3 look up one key (v0 always a group), v4+ a batch of keys of one type.
/// <list type="bullet">
/// <item>GROUP keys name this gateway: every gateway reaches every group grain, and the gateway a client already talks
///   to is the one known to be live and reachable from it (Metadata lists the others too, but a group coordinator
///   elsewhere would only add a connection). Kafka does not validate the key here: an empty group id also gets a
///   coordinator.</item>
/// <item>TRANSACTION keys get COORDINATOR_NOT_AVAILABLE until the transaction coordinator exists (clients retry it).</item>
/// <item>SHARE keys (v6, KIP-932) and unknown key types get INVALID_REQUEST: share groups are not served.</item>
/// </list>
/// An error row carries Kafka's "no node": node id -1, empty host, port -1.
/// </summary>
internal sealed class FindCoordinatorHandler(BrokerEndpoint endpoint) : KafkaApiHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    private const sbyte GroupKey = 0, TransactionKey = 1, ShareKey = 2;

    public override ApiKey ApiKey => ApiKey.FindCoordinator;

    public override short MinVersion => 0;

    public override short MaxVersion => 6;

    protected override ValueTask<FindCoordinatorResponse?> HandleAsync(KafkaRequestContext context, FindCoordinatorRequest request, short version, CancellationToken cancellationToken)
    {
        var keyType = version >= 1 ? request.KeyType : GroupKey;
        var host = endpoint.Host(context.LocalEndPoint);
        var port = endpoint.Port(context.LocalEndPoint);
        var (error, message) = Resolve(keyType);
        var found = error == KafkaErrorCode.None;
        var response = new FindCoordinatorResponse();
        if (version >= 4)
        {
            foreach (var key in request.CoordinatorKeys)
            {
                response.Coordinators.Add(new Coordinator
                {
                    Key = key,
                    ErrorCode = (short)error,
                    ErrorMessage = message,
                    NodeId = found ? endpoint.NodeId : -1,
                    Host = found ? host : string.Empty,
                    Port = found ? port : -1,
                });
            }

            return ValueTask.FromResult<FindCoordinatorResponse?>(response);
        }

        response.ErrorCode = (short)error;

        // Kafka's v1-v3 answers carry the error's message, which for success is the error's name.
        response.ErrorMessage = found ? "NONE" : message;
        response.NodeId = found ? endpoint.NodeId : -1;
        response.Host = found ? host : string.Empty;
        response.Port = found ? port : -1;
        return ValueTask.FromResult<FindCoordinatorResponse?>(response);
    }

    private static (KafkaErrorCode Error, string? Message) Resolve(sbyte keyType) => keyType switch
    {
        GroupKey => (KafkaErrorCode.None, null),
        TransactionKey => (KafkaErrorCode.CoordinatorNotAvailable, "The transaction coordinator is not available: transactions are not supported yet."),
        ShareKey => (KafkaErrorCode.InvalidRequest, "Share groups are not supported."),
        _ => (KafkaErrorCode.InvalidRequest, $"Unknown coordinator type received: {keyType}"),
    };
}
