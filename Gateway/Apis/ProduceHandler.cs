using System.Diagnostics;
using System.Buffers.Binary;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.ProduceResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// Produce v3-v11: each partition's batch goes to its partition grain, all partitions in parallel. acks must be 0, 1 or
/// -1 (else INVALID_REQUIRED_ACKS everywhere); acks=0 gets no response. Topics are never auto-created here (Kafka
/// creates them on Metadata only): an unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION.
/// </summary>
internal sealed class ProduceHandler(PartitionCalls calls, ProduceOrdering ordering, ProduceRefusals refusals) : KafkaApiHandler<ProduceRequest, ProduceResponse>
{
    // Record batch v2 framing: batchLength at byte 8 counts the bytes after the first 12; magic is byte 16.
    private const int BatchLengthOffset = 8;
    private const int LogOverhead = 12;
    private const int MagicOffset = 16;

    public override ApiKey ApiKey => ApiKey.Produce;

    public override short MinVersion => 3;

    public override short MaxVersion => 11;

    protected override async ValueTask<ProduceResponse?> HandleAsync(KafkaRequestContext context, ProduceRequest request, short version, CancellationToken cancellationToken)
    {
        var acks = request.Acks;
        var validAcks = acks is 0 or 1 or -1;
        var response = new ProduceResponse();
        var slots = new List<(TopicProduceResponse Target, Task<Appended> Result)>();
        var (previous, turn) = ordering.Enter(context.ConnectionId);
        try
        {
            await previous.ConfigureAwait(false);
            var topics = validAcks
                ? await calls.ResolveNamesAsync(request.TopicData.Select(t => t.Name)).ConfigureAwait(false)
                : [];
            foreach (var topic in request.TopicData)
            {
                var target = new TopicProduceResponse { Name = topic.Name };
                response.Responses.Add(target);
                foreach (var partition in topic.PartitionData)
                {
                    var result = validAcks
                        ? ProduceAsync(context.ConnectionId, topics[topic.Name], topic.Name, partition, request)
                        : Task.FromResult(new Appended(Failed(partition.Index, KafkaErrorCode.InvalidRequiredAcks, $"Invalid required acks {acks}: only 0, 1 and -1 are allowed."), null));
                    slots.Add((target, result));
                }
            }

            // Wait for the appends, not only for the calls to be issued: Orleans does not keep two calls to one grain
            // in order while the grain's address is being resolved (a partition's first batches were appended in
            // reverse order under librdkafka's pipelining). Kafka itself handles one request per connection at a time.
            await Task.WhenAll(slots.Select(s => s.Result)).ConfigureAwait(false);
        }
        finally
        {
            // This request's batches are appended (or refused): the next produce request on this connection may go.
            ordering.Exit(context.ConnectionId, turn);
        }

        // acks=-1 on replicated partitions: the answer waits for the ISR, outside the ordering turn so the connection's
        // next request appends meanwhile (librdkafka keeps several produce requests in flight).
        foreach (var (target, result) in slots)
        {
            target.PartitionResponses.Add(FitVersion(await (await result.ConfigureAwait(false)).CompleteAsync().ConfigureAwait(false), version));
        }

        if (acks == 0)
        {
            // Kafka sends no answer to acks=0; a refused batch is reported the only way left: by closing the
            // connection, so the client refreshes its metadata and finds out (KafkaApis does the same).
            var refused = response.Responses
                .SelectMany(t => t.PartitionResponses.Select(p => (Topic: t.Name, Partition: p)))
                .FirstOrDefault(x => x.Partition.ErrorCode != (short)KafkaErrorCode.None);
            if (refused.Partition is not null)
            {
                throw new CloseConnectionException(
                    $"acks=0 produce to {refused.Topic}-{refused.Partition.Index} failed with {(KafkaErrorCode)refused.Partition.ErrorCode}");
            }

            return null;
        }

        return response;
    }

    private async Task<Appended> ProduceAsync(string connectionId, TopicInfo? topic, string name, ProduceRequest.PartitionProduceData data, ProduceRequest request)
    {
        var producer = data.Records is { } bytes ? ProduceRefusals.ProducerOf(bytes.Span) : null;
        if (producer is { } fenced && refusals.Check(connectionId, name, data.Index, fenced) is { } refusal)
        {
            return new Appended(Failed(data.Index, refusal, "An earlier batch of this producer was refused on this connection; it must be sent again first."), null);
        }

        var appended = await AppendAsync(topic, name, data, request).ConfigureAwait(false);
        if (producer is { } sent)
        {
            refusals.OnOutcome(connectionId, name, data.Index, sent, (KafkaErrorCode)appended.Response.ErrorCode);
        }

        return appended;
    }

    private async Task<Appended> AppendAsync(TopicInfo? topic, string name, ProduceRequest.PartitionProduceData data, ProduceRequest request)
    {
        if (!PartitionCalls.HasPartition(topic, data.Index))
        {
            return new Appended(Failed(data.Index, KafkaErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition."), null);
        }

        if (OneBatchCheck(data.Records) is { } invalid)
        {
            return new Appended(Failed(data.Index, KafkaErrorCode.InvalidRecord, invalid), null);
        }

        var grain = calls.Grains.GetPartitionGrain(name, data.Index);
        var result = await calls.GuardAsync(
            grain.Produce(new ProduceCommand(topic!.TopicId, data.Records!.Value, request.Acks, request.TimeoutMs, topic.ConfigOverrides)),
            name, data.Index, code => ProduceResult.Failed(code, null)).ConfigureAwait(false);
        if (result.Error != KafkaErrorCode.None)
        {
            return new Appended(Failed(data.Index, result.Error, result.ErrorMessage), null);
        }

        var response = new PartitionProduceResponse
        {
            Index = data.Index,
            ErrorCode = 0,
            BaseOffset = result.BaseOffset,
            LogAppendTimeMs = result.LogAppendTimeMs,
            LogStartOffset = result.LogStartOffset,
        };
        var replication = result.AwaitsReplication
            ? calls.GuardAsync(AwaitReplicationAsync(grain, topic.TopicId, result, TimeSpan.FromMilliseconds(Math.Max(0, request.TimeoutMs))), name, data.Index, code => code)
            : null;
        return new Appended(response, replication);
    }

    /// <summary>One wait slice per grain call.</summary>
    internal static readonly TimeSpan ReplicationWaitSlice = TimeSpan.FromSeconds(1);

    /// <summary>Pause before asking again while the partition is between leader activations.</summary>
    internal static readonly TimeSpan LeaderMovePause = TimeSpan.FromMilliseconds(50);

    /// <summary>How long past its slice a wait call may take before it is abandoned and asked again.</summary>
    private static readonly TimeSpan WaitCallGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Waits for the ISR in slices of <see cref="ReplicationWaitSlice"/> until the request's timeout: a long wait parked in
    /// the leader would hold up its deactivation (Orleans drains running calls first), e.g. when its silo's directory
    /// partition died with another silo, and the partition would stay unreachable until the produce timeout.
    /// <para>While the partition moves (its activation closing, its silo dead, a new leader being elected) the wait asks
    /// again, and the next leader decides from its epoch history whether it holds the batch. Only that answer may say
    /// "not persisted" (NOT_LEADER_OR_FOLLOWER); running out of time says REQUEST_TIMED_OUT ("possibly persisted"): an
    /// idempotent client that is told "not persisted" for a batch that is in the log renumbers it after its next epoch
    /// bump and writes it twice.</para>
    /// </summary>
    internal static async Task<KafkaErrorCode> AwaitReplicationAsync(IPartitionGrain grain, Guid topicId, ProduceResult appended, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            var slice = remaining < ReplicationWaitSlice ? remaining : ReplicationWaitSlice;
            if (slice < TimeSpan.Zero)
            {
                slice = TimeSpan.Zero;
            }

            KafkaErrorCode code;
            try
            {
                code = await grain.AwaitReplication(topicId, appended.AwaitOffset, appended.AwaitEpoch, slice, CancellationToken.None)
                    .WaitAsync(slice + WaitCallGrace).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && PartitionCalls.ToErrorCode(ex) is KafkaErrorCode.NotLeaderOrFollower or KafkaErrorCode.RequestTimedOut)
            {
                code = KafkaErrorCode.LeaderNotAvailable; // the leader's silo died or the partition is between leaders
            }

            if (code == KafkaErrorCode.LeaderNotAvailable)
            {
                if (timeout - Stopwatch.GetElapsedTime(started) <= LeaderMovePause)
                {
                    return KafkaErrorCode.RequestTimedOut;
                }

                await Task.Delay(LeaderMovePause).ConfigureAwait(false);
                continue;
            }

            if (code != KafkaErrorCode.RequestTimedOut || remaining <= ReplicationWaitSlice)
            {
                return code;
            }
        }
    }

    /// <summary>A partition's append outcome, and for acks=-1 the wait for the ISR that decides the final answer.</summary>
    private sealed record Appended(PartitionProduceResponse Response, Task<KafkaErrorCode>? Replication)
    {
        public async Task<PartitionProduceResponse> CompleteAsync()
        {
            if (Replication is null)
            {
                return Response;
            }

            var error = await Replication.ConfigureAwait(false);
            return error == KafkaErrorCode.None
                ? Response
                : Failed(Response.Index, error, error switch
                {
                    KafkaErrorCode.NotEnoughReplicasAfterAppend => "The record was written to the leader but the ISR shrank below min.insync.replicas.",
                    KafkaErrorCode.RequestTimedOut => "The in-sync replicas did not all acknowledge the record within the request timeout.",
                    _ => null,
                });
        }
    }

    /// <summary>Kafka's rule for v3+: exactly one magic-2 batch per partition (none or several is INVALID_RECORD).</summary>
    internal static string? OneBatchCheck(ReadOnlyMemory<byte>? records)
    {
        if (records is not { Length: > 0 } bytes)
        {
            return "Produce requests with version 3 or later must contain exactly one record batch per partition; got none.";
        }

        var span = bytes.Span;
        if (span.Length > MagicOffset && span[MagicOffset] != 2)
        {
            return $"Produce requests with version 3 or later may only contain record batches with magic version 2, not {span[MagicOffset]}.";
        }

        if (span.Length >= LogOverhead)
        {
            var size = (long)BinaryPrimitives.ReadInt32BigEndian(span[BatchLengthOffset..]) + LogOverhead;
            if (size > LogOverhead && size < span.Length)
            {
                return "Produce requests with version 3 or later must contain exactly one record batch per partition; got several.";
            }
        }

        return null; // a short or inconsistent batch is the partition's CORRUPT_MESSAGE to report
    }

    /// <summary>Leaves fields a version does not carry at their defaults (log_start_offset v5+, error_message v8+).</summary>
    private static PartitionProduceResponse FitVersion(PartitionProduceResponse response, short version)
    {
        if (version < 5)
        {
            response.LogStartOffset = -1;
        }

        if (version < 8)
        {
            response.ErrorMessage = null;
        }

        return response;
    }

    private static PartitionProduceResponse Failed(int partition, KafkaErrorCode error, string? message) => new()
    {
        Index = partition,
        ErrorCode = (short)error,
        BaseOffset = -1,
        LogAppendTimeMs = -1,
        LogStartOffset = -1,
        ErrorMessage = message,
    };
}
