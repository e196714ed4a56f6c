using Microsoft.Extensions.Logging;

namespace Orleans.Kafka.Grains.Topics;

internal static partial class TopicLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Created topic {Topic} with id {TopicId}: {Partitions} partition(s), replication factor {ReplicationFactor}")]
    public static partial void TopicCreated(ILogger logger, string topic, Guid topicId, int partitions, int replicationFactor);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Deleted topic {Topic} with id {TopicId}")]
    public static partial void TopicDeleted(ILogger logger, string topic, Guid topicId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Topic {Topic} now has {Partitions} partition(s)")]
    public static partial void PartitionsAdded(ILogger logger, string topic, int partitions);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Topic {Topic} config overrides changed: {Overrides}")]
    public static partial void ConfigsChanged(ILogger logger, string topic, string overrides);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Cleared leftover state of topic {Topic} (id {TopicId}): the registry does not list it")]
    public static partial void StaleStateCleared(ILogger logger, string topic, Guid topicId);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Topic {Topic} (id {TopicId}) was deleted while a change to it was being committed")]
    public static partial void ChangeRacedWithDelete(ILogger logger, string topic, Guid topicId);
}
