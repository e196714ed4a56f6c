using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.FetchResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// Fetch v4-v17 for consumers. Every partition is read in parallel; when the bytes found fall short of min_bytes the
/// handler long-polls: it asks each partition to signal new data (<see cref="IPartitionGrain.WaitForData"/>, which
/// awaits the append path's signal and holds no thread), wakes on the first signal or at max_wait_ms, and reads again.
/// max_bytes is applied across partitions in request order, whole batches only, and the first batch returned is
/// always whole even when larger. Fetch sessions are declined (<see cref="FetchSessions"/>).
/// </summary>
internal sealed class FetchHandler(PartitionCalls calls, TimeProvider? time = null) : KafkaApiHandler<FetchRequest, FetchResponse>
{
    /// <summary>Longest single wait handed to a partition grain (below Orleans' default 30 s response timeout); longer max_wait_ms loops.</summary>
    private static readonly TimeSpan MaxGrainWait = TimeSpan.FromSeconds(20);

    /// <summary>Pause before re-reading when a partition's wait call itself failed.</summary>
    private static readonly TimeSpan FailedWaitPause = TimeSpan.FromMilliseconds(100);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public override ApiKey ApiKey => ApiKey.Fetch;

    public override short MinVersion => 4;

    public override short MaxVersion => 17;

    protected override async ValueTask<FetchResponse?> HandleAsync(KafkaRequestContext context, FetchRequest request, short version, CancellationToken cancellationToken)
    {
        if (version >= 7 && FetchSessions.Check(request.SessionId, request.SessionEpoch) is var sessionError && sessionError != KafkaErrorCode.None)
        {
            return new FetchResponse { ErrorCode = (short)sessionError, SessionId = 0 };
        }

        var targets = await ResolveAsync(request, version).ConfigureAwait(false);
        var isolation = request.IsolationLevel == 1 ? FetchIsolation.ReadCommitted : FetchIsolation.ReadUncommitted;
        var started = _time.GetTimestamp();
        var maxWait = TimeSpan.FromMilliseconds(Math.Max(request.MaxWaitMs, 0));
        var results = await ReadAllAsync(targets, isolation).ConfigureAwait(false);
        while (!Satisfied(results, request.MinBytes))
        {
            var remaining = maxWait - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (await WaitForAnyAsync(targets, results, Min(remaining, MaxGrainWait), cancellationToken).ConfigureAwait(false))
            {
                results = await ReadAllAsync(targets, isolation).ConfigureAwait(false);
            }
        }

        return Build(targets, results, request.MaxBytes, isolation, version);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>One requested partition with the topic it resolved to (null when unknown).</summary>
    private sealed record Target(FetchRequest.FetchTopic Topic, FetchRequest.FetchPartition Partition, TopicInfo? Info, KafkaErrorCode Unknown);

    private async Task<List<Target>> ResolveAsync(FetchRequest request, short version)
    {
        var byId = version >= 13;
        var ids = byId ? await calls.ResolveIdsAsync(request.Topics.Select(t => t.TopicId)).ConfigureAwait(false) : null;
        var names = byId ? null : await calls.ResolveNamesAsync(request.Topics.Select(t => t.Topic)).ConfigureAwait(false);
        var targets = new List<Target>();
        foreach (var topic in request.Topics)
        {
            var info = byId ? ids![topic.TopicId] : names![topic.Topic];
            foreach (var partition in topic.Partitions)
            {
                var unknown = info is null && byId ? KafkaErrorCode.UnknownTopicId
                    : PartitionCalls.HasPartition(info, partition.Partition) ? KafkaErrorCode.None
                    : KafkaErrorCode.UnknownTopicOrPartition;
                targets.Add(new Target(topic, partition, info, unknown));
            }
        }

        return targets;
    }

    private async Task<FetchResult[]> ReadAllAsync(List<Target> targets, FetchIsolation isolation) =>
        await Task.WhenAll(targets.Select(t => ReadAsync(t, isolation))).ConfigureAwait(false);

    private Task<FetchResult> ReadAsync(Target target, FetchIsolation isolation)
    {
        if (target.Unknown != KafkaErrorCode.None)
        {
            return Task.FromResult(FetchResult.Failed(target.Unknown));
        }

        var p = target.Partition;
        var command = new FetchCommand(target.Info!.TopicId, p.FetchOffset, p.PartitionMaxBytes, isolation, p.CurrentLeaderEpoch);
        var grain = calls.Grains.GetPartitionGrain(target.Info.Name, p.Partition);
        return calls.GuardAsync(grain.Fetch(command), target.Info.Name, p.Partition, code => FetchResult.Failed(code));
    }

    /// <summary>Kafka answers at once when min_bytes is reached or any partition has an error to report.</summary>
    private static bool Satisfied(FetchResult[] results, int minBytes)
    {
        long bytes = 0;
        foreach (var r in results)
        {
            if (r.Error != KafkaErrorCode.None)
            {
                return true;
            }

            bytes += r.Records.Length;
        }

        return results.Length == 0 || bytes >= minBytes;
    }

    /// <summary>
    /// Waits until any partition has data past what the last read saw (true) or <paramref name="timeout"/> passes
    /// (false). The other partitions' waits are cancelled as soon as one fires.
    /// </summary>
    private async Task<bool> WaitForAnyAsync(List<Target> targets, FetchResult[] seen, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var woke = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waits = new List<Task>();
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            if (target.Unknown != KafkaErrorCode.None)
            {
                continue;
            }

            // Wake on data beyond the high watermark already read, not merely beyond the fetch offset: a partition that
            // has some bytes (fewer than min_bytes) must not wake the poll again at once.
            var after = Math.Max(target.Partition.FetchOffset, seen[i].HighWatermark);
            var grain = calls.Grains.GetPartitionGrain(target.Info!.Name, target.Partition.Partition);
            waits.Add(WaitOneAsync(grain.WaitForData(target.Info.TopicId, after, timeout, stop.Token), woke));
        }

        if (waits.Count == 0)
        {
            return false;
        }

        var all = Task.WhenAll(waits);
        await Task.WhenAny(woke.Task, all).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        if (all.IsFaulted && !woke.Task.IsCompleted)
        {
            // A partition could not even be asked to wait (e.g. its activation failed): read again, where the failure
            // becomes that partition's error, after a pause that keeps a persistent fault from spinning this loop.
            await Task.Delay(FailedWaitPause, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }

        // Both may be complete (the last wait to finish is also the one that woke): the signal is what counts.
        return woke.Task.IsCompleted;
    }

    private static async Task WaitOneAsync(Task<bool> wait, TaskCompletionSource<bool> woke)
    {
        try
        {
            if (await wait.ConfigureAwait(false))
            {
                woke.TrySetResult(true);
            }
        }
        catch (OperationCanceledException)
        {
            // Another partition woke the fetch first.
        }
        catch (TimeoutException)
        {
            // The grain call outlived Orleans' response timeout: treat as no data; the fetch reads again anyway.
        }
    }

    private static FetchResponse Build(List<Target> targets, FetchResult[] results, int maxBytes, FetchIsolation isolation, short version)
    {
        var response = new FetchResponse { ErrorCode = 0, SessionId = 0 };
        var budget = version >= 3 ? Math.Max(maxBytes, 0) : int.MaxValue;
        var returnedAny = false;
        FetchableTopicResponse? current = null;
        FetchRequest.FetchTopic? currentTopic = null;
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            if (!ReferenceEquals(currentTopic, target.Topic))
            {
                currentTopic = target.Topic;
                current = version >= 13
                    ? new FetchableTopicResponse { TopicId = target.Topic.TopicId }
                    : new FetchableTopicResponse { Topic = target.Topic.Topic };
                response.Responses.Add(current);
            }

            var result = results[i];
            var records = WholeBatchesWithin(result.Records, budget, atLeastOne: !returnedAny);
            budget -= records.Length;
            returnedAny |= records.Length > 0;
            current!.Partitions.Add(new PartitionData
            {
                PartitionIndex = target.Partition.Partition,
                ErrorCode = (short)result.Error,
                HighWatermark = result.HighWatermark,
                LastStableOffset = result.LastStableOffset,
                LogStartOffset = version >= 5 ? result.LogStartOffset : -1, // the field exists from v5
                // Kafka sends null under read_uncommitted and the (so far always empty) list under read_committed.
                AbortedTransactions = isolation == FetchIsolation.ReadCommitted ? [] : null,
                PreferredReadReplica = -1,
                Records = records,
            });
        }

        return response;
    }

    /// <summary>The longest prefix of whole batches within <paramref name="limit"/> bytes; with <paramref name="atLeastOne"/> the first batch even if larger.</summary>
    internal static ReadOnlyMemory<byte> WholeBatchesWithin(ReadOnlyMemory<byte> records, int limit, bool atLeastOne)
    {
        if (records.Length <= limit)
        {
            return records;
        }

        var span = records.Span;
        var taken = 0;
        while (taken + 12 <= span.Length)
        {
            var size = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(span[(taken + 8)..]) + 12;
            if (size <= 12 || taken + size > span.Length || (taken + size > limit && !(atLeastOne && taken == 0)))
            {
                break;
            }

            taken += size;
            if (taken >= limit)
            {
                break;
            }
        }

        return records[..taken];
    }
}
