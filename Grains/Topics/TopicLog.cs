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

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Topic {Topic} partition {Partition}: leader {OldLeader} -> {NewLeader} at epoch {LeaderEpoch}, ISR [{Isr}]")]
    public static partial void LeaderElected(ILogger logger, string topic, int partition, int oldLeader, int newLeader, int leaderEpoch, string isr);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Topic {Topic} partition {Partition}: ISR [{OldIsr}] -> [{NewIsr}] (leader epoch {LeaderEpoch})")]
    public static partial void IsrChanged(ILogger logger, string topic, int partition, string oldIsr, string newIsr, int leaderEpoch);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information, Message = "Topic {Topic} partition {Partition}: silo {SiloId} leads at epoch {LeaderEpoch}")]
    public static partial void LeadershipClaimed(ILogger logger, string topic, int partition, int siloId, int leaderEpoch);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Information, Message = "Topic {Topic} partition {Partition}: reassignment to [{Target}] started, adding [{Adding}], removing [{Removing}]")]
    public static partial void ReassignmentStarted(ILogger logger, string topic, int partition, string target, string adding, string removing);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Information, Message = "Topic {Topic} partition {Partition}: reassignment finished, replicas [{Replicas}], leader {Leader}")]
    public static partial void ReassignmentFinished(ILogger logger, string topic, int partition, string replicas, int leader);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Information, Message = "Topic {Topic} partition {Partition}: reassignment cancelled, replicas back to [{Replicas}]")]
    public static partial void ReassignmentCancelled(ILogger logger, string topic, int partition, string replicas);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Debug, Message = "Topic {Topic} partition {Partition}: {Notification} notification failed")]
    public static partial void NotificationFailed(ILogger logger, string topic, int partition, string notification, Exception exception);

    [LoggerMessage(EventId = 3017, Level = LogLevel.Warning, Message = "Reconciling leaders of topic {Topic} failed")]
    public static partial void ReconcileFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(EventId = 3018, Level = LogLevel.Debug, Message = "Reconciling leaders of topic {Topic} abandoned: this silo is stopping")]
    public static partial void ReconcileAbandoned(ILogger logger, string topic);

    [LoggerMessage(EventId = 3019, Level = LogLevel.Warning, Message = "Topic {Topic}: the registry did not take a committed change in time; it is pushed again at the next reconcile")]
    public static partial void RegistryPushDeferred(ILogger logger, string topic);
}
