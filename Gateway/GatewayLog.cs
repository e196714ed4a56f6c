using System.Net;
using Microsoft.Extensions.Logging;

namespace Orleans.Kafka.Gateway;

/// <summary>The gateway's log lines, source-generated; event ids 1000-1099 belong to the gateway.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Debug, Message = "Kafka connection {ConnectionId} opened from {Remote}")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, EndPoint? remote);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Kafka connection {ConnectionId} from {Remote} closed")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, EndPoint? remote);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Closing Kafka connection {ConnectionId} from {Remote}: {Reason}")]
    public static partial void ClosingConnection(ILogger logger, string connectionId, EndPoint? remote, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Closing Kafka connection {ConnectionId} from {Remote}: {Api} v{Version} (correlation id {CorrelationId}) failed")]
    public static partial void HandlerFailed(ILogger logger, string connectionId, EndPoint? remote, string api, short version, int correlationId, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Kafka listener bound to {EndPoint}, advertised as {Host}:{Port} (node id {NodeId})")]
    public static partial void ListenerBound(ILogger logger, EndPoint endPoint, string host, int port, int nodeId);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Kafka connection {ConnectionId}: ApiVersions v{Version} is unsupported, answered with UNSUPPORTED_VERSION")]
    public static partial void UnsupportedApiVersionsVersion(ILogger logger, string connectionId, short version);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Kafka connection {ConnectionId} from {Remote}: writing the {Api} v{Version} response failed")]
    public static partial void ResponseWriteFailed(ILogger logger, string connectionId, EndPoint? remote, string api, short version, Exception exception);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Error, Message = "Closing Kafka connection {ConnectionId} from {Remote} after an unexpected error")]
    public static partial void ConnectionFailed(ILogger logger, string connectionId, EndPoint? remote, Exception exception);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Metadata request auto-created topic {Topic} ({Partitions} partitions): {Error}")]
    public static partial void TopicAutoCreated(ILogger logger, string topic, int partitions, Protocol.KafkaErrorCode error);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Metadata lookup of {Topic} failed or timed out; answered LEADER_NOT_AVAILABLE")]
    public static partial void MetadataLookupFailed(ILogger logger, Exception exception, string topic);
}
