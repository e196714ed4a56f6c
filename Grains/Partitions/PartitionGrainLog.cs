using Microsoft.Extensions.Logging;
using Orleans.Kafka.Storage.Log;

namespace Orleans.Kafka.Grains.Partitions;

internal static partial class PartitionGrainLog
{
    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Partition {Topic}-{Partition} opened at {Directory}: offsets {LogStart}..{LogEnd}, clean shutdown before: {Clean}")]
    public static partial void Opened(ILogger logger, string topic, int partition, string directory, long logStart, long logEnd, bool clean);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Deleted stale partition directory {Directory}: it belonged to another incarnation of the topic (now {TopicId})")]
    public static partial void StaleDirectoryDeleted(ILogger logger, string directory, Guid topicId);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Information, Message = "Deleted the data of partition {Topic}-{Partition} (topic id {TopicId})")]
    public static partial void DataDeleted(ILogger logger, string topic, int partition, Guid topicId);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Debug, Message = "Partition {Topic}-{Partition} refused an append ({Kind}): {Reason}")]
    public static partial void AppendRejected(ILogger logger, string topic, int partition, LogErrorKind kind, string reason);

    [LoggerMessage(EventId = 3305, Level = LogLevel.Information, Message = "Partition {Topic}-{Partition}: retention deleted {Segments} segment(s); log start is now {LogStart}")]
    public static partial void RetentionApplied(ILogger logger, string topic, int partition, int segments, long logStart);

    [LoggerMessage(EventId = 3306, Level = LogLevel.Information, Message = "Partition {Topic}-{Partition} reopened with changed topic configs")]
    public static partial void ConfigReloaded(ILogger logger, string topic, int partition);

    [LoggerMessage(EventId = 3307, Level = LogLevel.Information, Message = "Partition {Topic}-{Partition}: records deleted, log start is now {LogStart}")]
    public static partial void RecordsDeleted(ILogger logger, string topic, int partition, long logStart);

    [LoggerMessage(EventId = 3340, Level = LogLevel.Information, Message = "Partition {Topic}-{Partition}: leader at epoch {Epoch}, ISR [{Isr}]")]
    public static partial void BecameLeader(ILogger logger, string topic, int partition, int epoch, string isr);

    [LoggerMessage(EventId = 3341, Level = LogLevel.Information, Message = "Partition {Topic}-{Partition}: ISR [{From}] -> [{To}]")]
    public static partial void IsrChanged(ILogger logger, string topic, int partition, string from, string to);

    [LoggerMessage(EventId = 3346, Level = LogLevel.Warning, Message = "Partition {Topic}-{Partition}: the controller refused the ISR [{Proposed}] with {Error}; proposed again later")]
    public static partial void IsrChangeRefused(ILogger logger, string topic, int partition, string proposed, Orleans.Kafka.Protocol.KafkaErrorCode error);

    [LoggerMessage(EventId = 3347, Level = LogLevel.Warning, Message = "Partition {Topic}-{Partition}: proposing the ISR [{Proposed}] failed ({Kind}: {Reason}); proposed again later")]
    public static partial void IsrChangeFailed(ILogger logger, string topic, int partition, string proposed, string kind, string reason);

    [LoggerMessage(EventId = 3342, Level = LogLevel.Information, Message = "Partition {Topic}-{Partition}: leader steps down ({Reason})")]
    public static partial void SteppedDown(ILogger logger, string topic, int partition, string reason);

    [LoggerMessage(EventId = 3343, Level = LogLevel.Debug, Message = "Partition {Topic}-{Partition}: background call failed ({What})")]
    public static partial void BackgroundCallFailed(ILogger logger, Exception exception, string topic, int partition, string what);
}
