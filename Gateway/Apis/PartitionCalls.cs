using Microsoft.Extensions.Logging;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// What the partition-data handlers share: resolving a request's topics once each (by name or id) and turning a failed
/// grain call into the per-partition Kafka error a client retries on, instead of a closed connection.
/// </summary>
internal sealed partial class PartitionCalls(IGrainFactory grains, ILogger<PartitionCalls> logger)
{
    public IGrainFactory Grains => grains;

    private ITopicRegistryGrain Registry => grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key);

    /// <summary>Looks up each distinct name once, in parallel.</summary>
    public async Task<Dictionary<string, TopicInfo?>> ResolveNamesAsync(IEnumerable<string> names)
    {
        var distinct = names.Distinct(StringComparer.Ordinal).ToList();
        var found = await Task.WhenAll(distinct.Select(n => Registry.GetTopic(n))).ConfigureAwait(false);
        var map = new Dictionary<string, TopicInfo?>(StringComparer.Ordinal);
        for (var i = 0; i < distinct.Count; i++)
        {
            map[distinct[i]] = found[i];
        }

        return map;
    }

    public async Task<Dictionary<Guid, TopicInfo?>> ResolveIdsAsync(IEnumerable<Guid> ids)
    {
        var distinct = ids.Distinct().ToList();
        var found = await Task.WhenAll(distinct.Select(id => Registry.GetTopicById(id))).ConfigureAwait(false);
        var map = new Dictionary<Guid, TopicInfo?>();
        for (var i = 0; i < distinct.Count; i++)
        {
            map[distinct[i]] = found[i];
        }

        return map;
    }

    public static bool HasPartition(TopicInfo? topic, int partition) =>
        topic is not null && partition >= 0 && partition < topic.Partitions.Count;

    /// <summary>
    /// Runs one partition's grain call; a failure of the call itself (not a Kafka error it returns) becomes
    /// <paramref name="onError"/> with a retriable code: REQUEST_TIMED_OUT for a timeout, KAFKA_STORAGE_ERROR when the
    /// log could not be read or written, else UNKNOWN_SERVER_ERROR.
    /// </summary>
    public async Task<T> GuardAsync<T>(Task<T> call, string topic, int partition, Func<KafkaErrorCode, T> onError)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var code = ex switch
            {
                TimeoutException => KafkaErrorCode.RequestTimedOut,
                IOException or UnauthorizedAccessException => KafkaErrorCode.KafkaStorageError,
                _ => KafkaErrorCode.UnknownServerError,
            };
            LogPartitionCallFailed(logger, ex, topic, partition, code);
            return onError(code);
        }
    }

    [LoggerMessage(EventId = 1040, Level = LogLevel.Warning, Message = "Call to partition {Topic}-{Partition} failed; answering {Error}")]
    private static partial void LogPartitionCallFailed(ILogger logger, Exception exception, string topic, int partition, KafkaErrorCode error);
}
