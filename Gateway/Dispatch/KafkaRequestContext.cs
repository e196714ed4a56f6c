using System.Net;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Dispatch;

/// <summary>Who sent a request and how: the connection and the decoded request header.</summary>
public sealed class KafkaRequestContext
{
    public KafkaRequestContext(string connectionId, EndPoint? remoteEndPoint, EndPoint? localEndPoint, RequestHeader header)
    {
        ConnectionId = connectionId;
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
        Header = header;
    }

    public string ConnectionId { get; }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The address the client reached us on (used to advertise a wildcard listener).</summary>
    public EndPoint? LocalEndPoint { get; }

    public RequestHeader Header { get; }

    public ApiKey ApiKey => (ApiKey)Header.RequestApiKey;

    public short ApiVersion => Header.RequestApiVersion;

    public int CorrelationId => Header.CorrelationId;

    public string? ClientId => Header.ClientId;
}
