using Microsoft.Extensions.Logging;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>After a topic is deleted, tells each of its partition grains to close and delete their directories.</summary>
internal static partial class PartitionDataCleanup
{
    /// <summary>
    /// Best effort by design: the topic is already gone when this runs, and a partition that misses the call still drops
    /// its data (its periodic check finds the topic gone; a recreated topic's first open wipes a directory of another id).
    /// A failure is therefore logged, not thrown into the DeleteTopics answer.
    /// </summary>
    public static async Task DeleteAsync(IGrainFactory grains, TopicInfo topic, ILogger logger)
    {
        var calls = topic.Partitions.Select(async p =>
        {
            try
            {
                await grains.GetPartitionGrain(topic.Name, p.Index).DeleteData(topic.TopicId);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogDeleteFailed(logger, ex, topic.Name, p.Index);
            }
        });
        await Task.WhenAll(calls);
    }

    [LoggerMessage(EventId = 3310, Level = LogLevel.Warning, Message = "Could not delete the data of partition {Topic}-{Partition} now; it is dropped when the partition next checks its topic")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, string topic, int partition);
}
