using Microsoft.Extensions.Logging;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.FindCoordinatorResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// FindCoordinator v0-v6: v0-v3 look up one key (v0 always a group), v4+ a batch of keys of one type.
/// <list type="bullet">
/// <item>GROUP keys name the live gateway beside the silo where the group's grain is active, so the group's calls
///   skip a silo-to-silo hop. Only when the gateway directory knows other live gateways is the grain asked where it
///   runs (a single gateway answers at once, without a grain call). When no live gateway is beside that silo, the silo
///   has no silo id, or the call fails, this gateway is named: every gateway reaches every group grain, and the
///   gateway a client already talks to is known to be reachable from it. Kafka does not validate the key here: an
///   empty group id also gets a coordinator.</item>
/// <item>TRANSACTION keys get COORDINATOR_NOT_AVAILABLE until the transaction coordinator exists (clients retry it).</item>
/// <item>SHARE keys (v6, KIP-932) and unknown key types get INVALID_REQUEST: share groups are not served.</item>
/// </list>
/// An error row carries Kafka's "no node": node id -1, empty host, port -1.
/// </summary>
internal sealed partial class FindCoordinatorHandler(
    BrokerEndpoint endpoint,
    GatewayDirectory directory,
    IGrainFactory grains,
    ILogger<FindCoordinatorHandler> logger) : KafkaApiHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    private const sbyte GroupKey = 0, TransactionKey = 1, ShareKey = 2;

    private static readonly Node NoNode = new(-1, string.Empty, -1);

    public override ApiKey ApiKey => ApiKey.FindCoordinator;

    public override short MinVersion => 0;

    public override short MaxVersion => 6;

    protected override async ValueTask<FindCoordinatorResponse?> HandleAsync(KafkaRequestContext context, FindCoordinatorRequest request, short version, CancellationToken cancellationToken)
    {
        var keyType = version >= 1 ? request.KeyType : GroupKey;
        var self = new Node(endpoint.NodeId, endpoint.Host(context.LocalEndPoint), endpoint.Port(context.LocalEndPoint));
        var (error, message) = Resolve(keyType);
        var found = error == KafkaErrorCode.None;
        var response = new FindCoordinatorResponse();
        if (version >= 4)
        {
            var nodes = found
                ? await Task.WhenAll(request.CoordinatorKeys.Select(key => CoordinatorOfAsync(key, self)))
                : null;
            for (var i = 0; i < request.CoordinatorKeys.Count; i++)
            {
                var node = nodes?[i] ?? NoNode;
                response.Coordinators.Add(new Coordinator
                {
                    Key = request.CoordinatorKeys[i],
                    ErrorCode = (short)error,
                    ErrorMessage = message,
                    NodeId = node.NodeId,
                    Host = node.Host,
                    Port = node.Port,
                });
            }

            return response;
        }

        var coordinator = found ? await CoordinatorOfAsync(request.Key, self) : NoNode;
        response.ErrorCode = (short)error;

        // Kafka's v1-v3 answers carry the error's message, which for success is the error's name.
        response.ErrorMessage = found ? "NONE" : message;
        response.NodeId = coordinator.NodeId;
        response.Host = coordinator.Host;
        response.Port = coordinator.Port;
        return response;
    }

    /// <summary>The gateway to name for group <paramref name="groupId"/>: beside its grain's silo, else <paramref name="self"/>.</summary>
    private async Task<Node> CoordinatorOfAsync(string groupId, Node self)
    {
        if (!directory.OtherGateways().Any())
        {
            return self;
        }

        int? siloId;
        try
        {
            siloId = await grains.Group(groupId).GetHostSiloId();
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException or IOException)
        {
            LogLocationFailed(logger, ex, groupId);
            return self;
        }

        if (siloId is not { } id || directory.GatewayBeside(id) is not { } nodeId || nodeId == self.NodeId)
        {
            return self;
        }

        // The view may have changed since GatewayBeside read it: a gateway gone meanwhile leaves this one named.
        var beside = directory.View.Gateways.FirstOrDefault(g => g.NodeId == nodeId);
        return beside is null ? self : new Node(beside.NodeId, beside.Host, beside.Port);
    }

    private static (KafkaErrorCode Error, string? Message) Resolve(sbyte keyType) => keyType switch
    {
        GroupKey => (KafkaErrorCode.None, null),
        TransactionKey => (KafkaErrorCode.CoordinatorNotAvailable, "The transaction coordinator is not available: transactions are not supported yet."),
        ShareKey => (KafkaErrorCode.InvalidRequest, "Share groups are not supported."),
        _ => (KafkaErrorCode.InvalidRequest, $"Unknown coordinator type received: {keyType}"),
    };

    [LoggerMessage(EventId = 1265, Level = LogLevel.Warning, Message = "FindCoordinator could not locate group {GroupId}'s grain; naming this gateway")]
    private static partial void LogLocationFailed(ILogger logger, Exception exception, string groupId);

    private sealed record Node(int NodeId, string Host, int Port);
}
