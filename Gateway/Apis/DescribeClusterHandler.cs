using Microsoft.Extensions.Options;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.DescribeClusterResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// DescribeCluster v0-v1: the brokers (the live gateways, as in Metadata), cluster id and controller (the lowest live node id).
/// Only endpoint type 1 (brokers) is served.
/// </summary>
internal sealed class DescribeClusterHandler(BrokerEndpoint endpoint, GatewayDirectory directory, IOptions<BrokerOptions> options) : KafkaApiHandler<DescribeClusterRequest, DescribeClusterResponse>
{
    /// <summary>Kafka's endpoint types: 1 lists brokers, 2 controllers (served only by controllers).</summary>
    private const sbyte BrokersEndpoint = 1;

    public override ApiKey ApiKey => ApiKey.DescribeCluster;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override ValueTask<DescribeClusterResponse?> HandleAsync(KafkaRequestContext context, DescribeClusterRequest request, short version, CancellationToken cancellationToken)
    {
        var endpointType = version >= 1 ? request.EndpointType : BrokersEndpoint;
        var response = new DescribeClusterResponse
        {
            ClusterId = options.Value.ClusterId,
            ControllerId = directory.ControllerId(),
            Brokers = [],
            ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? AuthorizedOperations.Cluster : AuthorizedOperations.NotRequested,
        };
        if (version >= 1)
        {
            response.EndpointType = endpointType;
        }

        if (endpointType != BrokersEndpoint)
        {
            // A broker asked for controllers answers as Kafka's brokers do.
            response.ErrorCode = (short)KafkaErrorCode.UnsupportedEndpointType;
            response.ErrorMessage = "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type " + (endpointType == 2 ? "CONTROLLER" : endpointType.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return ValueTask.FromResult<DescribeClusterResponse?>(response);
        }

        response.Brokers.Add(new DescribeClusterBroker { BrokerId = endpoint.NodeId, Host = endpoint.Host(context.LocalEndPoint), Port = endpoint.Port(context.LocalEndPoint), Rack = null });
        foreach (var gateway in directory.OtherGateways())
        {
            response.Brokers.Add(new DescribeClusterBroker { BrokerId = gateway.NodeId, Host = gateway.Host, Port = gateway.Port, Rack = null });
        }

        return ValueTask.FromResult<DescribeClusterResponse?>(response);
    }
}
