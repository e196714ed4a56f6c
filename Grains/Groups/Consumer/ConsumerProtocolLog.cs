using Microsoft.Extensions.Logging;

namespace Orleans.Kafka.Grains.Groups.Consumer;

internal static partial class ConsumerProtocolLog
{
    [LoggerMessage(EventId = 3620, Level = LogLevel.Information, Message = "Consumer group {Group}: member {Member} joined (group epoch {Epoch})")]
    public static partial void MemberJoined(ILogger logger, string group, string member, int epoch);

    [LoggerMessage(EventId = 3621, Level = LogLevel.Information, Message = "Consumer group {Group}: member {Member} left with epoch {Epoch}")]
    public static partial void MemberLeft(ILogger logger, string group, string member, int epoch);

    [LoggerMessage(EventId = 3622, Level = LogLevel.Information, Message = "Consumer group {Group}: member {Member} expired after {SessionTimeoutMs} ms without a heartbeat")]
    public static partial void MemberExpired(ILogger logger, string group, string member, int sessionTimeoutMs);
}
