using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Kafka.Gateway.Dispatch;

namespace Orleans.Kafka.Gateway.Connections;

/// <summary>Kestrel's entry point for a Kafka listener: one <see cref="KafkaConnection"/> per accepted socket.</summary>
public sealed class KafkaConnectionHandler(KafkaRequestDispatcher dispatcher, IOptions<BrokerOptions> options, GatewayMetrics metrics, ILogger<KafkaConnectionHandler> logger) : ConnectionHandler
{
    /// <summary>
    /// Requests a connection may have outstanding. Kafka clients keep at most a handful in flight
    /// (max.in.flight.requests.per.connection, 5 by default); this bounds what a misbehaving client can queue.
    /// </summary>
    public const int MaxInFlightRequests = 100;

    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new KafkaConnection(connection, dispatcher, options.Value.SocketRequestMaxBytes, MaxInFlightRequests, metrics, logger).RunAsync();
    }
}
