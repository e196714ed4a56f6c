using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// What the partition-data handlers share: resolving a request's topics once each (by name or id) and turning a failed
/// grain call into the per-partition Kafka error a client retries on, instead of a closed connection.
/// <para>Topics found are cached for <see cref="CacheTtl"/> so a busy producer does not ask the registry on every
/// request (as a Kafka broker answers from its metadata cache). Staleness is safe: every partition call carries the
/// topic id, and a partition grain refuses an id that is not its own; a topic not found is never cached, so a new
/// topic is visible at once.</para>
/// </summary>
internal sealed partial class PartitionCalls(IGrainFactory grains, ILogger<PartitionCalls> logger, TimeProvider? time = null)
{
    internal static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, (TopicInfo Info, long Expires)> _byName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, (TopicInfo Info, long Expires)> _byId = new();

    public IGrainFactory Grains => grains;

    private ITopicRegistryGrain Registry => grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key);

    /// <summary>Looks up each distinct name once, in parallel (cache first).</summary>
    public Task<Dictionary<string, TopicInfo?>> ResolveNamesAsync(IEnumerable<string> names) =>
        ResolveAsync(names, _byName, ByNameAsync, StringComparer.Ordinal);

    /// <summary>
    /// The registry's answer; when it fails or is slow, the topic grain's own (authoritative) state. Each call has its
    /// own <see cref="RegistryPatience"/>, so the fallback gets its full turn before the stale cache is tried.
    /// </summary>
    private async Task<TopicInfo?> ByNameAsync(string name)
    {
        try
        {
            return await Registry.GetTopic(name).WaitAsync(RegistryPatience, _time).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStaleTopicServed(logger, ex, name);
            return await grains.GetGrain<ITopicGrain>(name).GetInfo().WaitAsync(RegistryPatience, _time).ConfigureAwait(false);
        }
    }

    public Task<Dictionary<Guid, TopicInfo?>> ResolveIdsAsync(IEnumerable<Guid> ids) =>
        ResolveAsync(ids, _byId, id => Registry.GetTopicById(id).WaitAsync(RegistryPatience, _time), EqualityComparer<Guid>.Default);

    /// <summary>How long a registry lookup may take before a cached (even expired) answer is used instead.</summary>
    internal static readonly TimeSpan RegistryPatience = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs a lookup (each bounded by <see cref="RegistryPatience"/>); when it does not answer in time or fails (the
    /// registry's silo just died and its activation is moving), answers from the expired cache entry if there is one — a Kafka broker serves from its metadata cache too, and every
    /// partition call still carries the topic id, so a stale answer cannot touch the wrong data.
    /// </summary>
    private async Task<TopicInfo?> LookupOrStaleAsync<TKey>(TKey key, ConcurrentDictionary<TKey, (TopicInfo Info, long Expires)> cache, Func<TKey, Task<TopicInfo?>> lookup)
        where TKey : notnull
    {
        try
        {
            return await lookup(key).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && cache.TryGetValue(key, out var stale))
        {
            LogStaleTopicServed(logger, ex, key.ToString() ?? "");
            return stale.Info;
        }
    }

    private async Task<Dictionary<TKey, TopicInfo?>> ResolveAsync<TKey>(
        IEnumerable<TKey> keys, ConcurrentDictionary<TKey, (TopicInfo Info, long Expires)> cache, Func<TKey, Task<TopicInfo?>> lookup, IEqualityComparer<TKey> comparer)
        where TKey : notnull
    {
        var now = _time.GetTimestamp();
        var map = new Dictionary<TKey, TopicInfo?>(comparer);
        List<TKey>? missing = null;
        foreach (var key in keys)
        {
            if (map.ContainsKey(key))
            {
                continue;
            }

            if (cache.TryGetValue(key, out var hit) && hit.Expires > now)
            {
                map[key] = hit.Info;
            }
            else
            {
                map[key] = null;
                (missing ??= []).Add(key);
            }
        }

        if (missing is null)
        {
            return map;
        }

        var found = await Task.WhenAll(missing.Select(key => LookupOrStaleAsync(key, cache, lookup))).ConfigureAwait(false);
        var expires = now + (long)(CacheTtl.TotalSeconds * _time.TimestampFrequency);
        for (var i = 0; i < missing.Count; i++)
        {
            map[missing[i]] = found[i];
            if (found[i] is { } info)
            {
                cache[missing[i]] = (info, expires);
            }
            else
            {
                cache.TryRemove(missing[i], out _);
            }
        }

        return map;
    }

    public static bool HasPartition(TopicInfo? topic, int partition) =>
        topic is not null && partition >= 0 && partition < topic.Partitions.Count;

    /// <summary>
    /// Runs one partition's grain call; a failure of the call itself (not a Kafka error it returns) becomes
    /// <paramref name="onError"/> with a retriable code: NOT_LEADER_OR_FOLLOWER when the partition's silo is down,
    /// REQUEST_TIMED_OUT for a timeout, KAFKA_STORAGE_ERROR when the log could not be read or written, else
    /// UNKNOWN_SERVER_ERROR.
    /// </summary>
    public async Task<T> GuardAsync<T>(Task<T> call, string topic, int partition, Func<KafkaErrorCode, T> onError)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var code = ToErrorCode(ex);
            if (code == KafkaErrorCode.NotLeaderOrFollower)
            {
                // Expected while a silo is down: one line per refused call, without the stack.
                LogPartitionUnavailable(logger, topic, partition, ex.GetType().Name);
            }
            else
            {
                LogPartitionCallFailed(logger, ex, topic, partition, code);
            }

            return onError(code);
        }
    }

    /// <summary>
    /// The Kafka error for a partition call that failed in Orleans rather than answering. Retriable codes for everything a
    /// failover produces: librdkafka treats any other code (UNKNOWN_SERVER_ERROR) as permanent, fails the batch and, for
    /// an idempotent producer, bumps its epoch and renumbers the batches still unconfirmed, so a batch that was appended
    /// but answered with an error would be written a second time.
    /// </summary>
    internal static KafkaErrorCode ToErrorCode(Exception ex)
    {
        // The partition's owning silo is down (placement refused it), went down during the call, or the activation is
        // moving (the message was rejected, not run): the client refreshes metadata and retries; nothing was appended.
        if (OwnerUnavailable(ex) || Has<OrleansMessageRejectionException>(ex))
        {
            return KafkaErrorCode.NotLeaderOrFollower;
        }

        // The call may have run: "possibly persisted", which the client retries with the same sequence numbers.
        if (Has<TimeoutException>(ex))
        {
            return KafkaErrorCode.RequestTimedOut;
        }

        return Has<IOException>(ex) || Has<UnauthorizedAccessException>(ex) ? KafkaErrorCode.KafkaStorageError : KafkaErrorCode.UnknownServerError;
    }

    private static bool Has<T>(Exception ex)
        where T : Exception
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is T)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the call failed because the partition's silo is not live (see <c>PartitionPlacementDirector</c>).</summary>
    internal static bool OwnerUnavailable(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is Cluster.PartitionUnavailableException or SiloUnavailableException
                || e.Message.Contains(Cluster.PartitionUnavailableException.Marker, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 1041, Level = LogLevel.Information, Message = "Partition {Topic}-{Partition} is unavailable ({Reason}): its silo is down; answering NOT_LEADER_OR_FOLLOWER")]
    private static partial void LogPartitionUnavailable(ILogger logger, string topic, int partition, string reason);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Warning, Message = "Call to partition {Topic}-{Partition} failed; answering {Error}")]
    private static partial void LogPartitionCallFailed(ILogger logger, Exception exception, string topic, int partition, KafkaErrorCode error);

    [LoggerMessage(EventId = 2160, Level = LogLevel.Warning, Message = "Topic registry did not answer for {Topic}; asking the topic grain, else serving cached metadata")]
    private static partial void LogStaleTopicServed(ILogger logger, Exception exception, string topic);
}
