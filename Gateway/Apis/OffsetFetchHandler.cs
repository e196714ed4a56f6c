using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.OffsetFetchResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// OffsetFetch v0-v9: one group (v0-v7) or several (v8+, fanned out to their grains concurrently); null topics (v2+)
/// means all committed partitions. Nothing committed is offset -1 with no error. require_stable (v7+) would answer
/// UNSTABLE_OFFSET_COMMIT while transactional commits are pending; there are none without transactions. v9's member id
/// and epoch apply to the new consumer protocol and are not checked for classic groups, as in Kafka.
/// </summary>
internal sealed class OffsetFetchHandler(IGrainFactory grains) : KafkaApiHandler<OffsetFetchRequest, OffsetFetchResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetFetch;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override async ValueTask<OffsetFetchResponse?> HandleAsync(KafkaRequestContext context, OffsetFetchRequest request, short version, CancellationToken cancellationToken)
    {
        if (version >= 8)
        {
            var calls = request.Groups
                .Select(g => (g.GroupId, Result: FetchAsync(g.GroupId, g.Topics?.Select(t => new TopicPartitions(t.Name, t.PartitionIndexes)), request.RequireStable)))
                .ToList();
            var batched = new OffsetFetchResponse();
            foreach (var (groupId, result) in calls)
            {
                var fetched = await result.ConfigureAwait(false);
                var group = new OffsetFetchResponseGroup { GroupId = groupId, ErrorCode = (short)fetched.Error };
                foreach (var topic in fetched.Offsets.GroupBy(o => o.Topic))
                {
                    var target = new OffsetFetchResponseTopics { Name = topic.Key };
                    target.Partitions.AddRange(topic.Select(o => new OffsetFetchResponsePartitions
                    {
                        PartitionIndex = o.Partition,
                        CommittedOffset = o.Offset,
                        CommittedLeaderEpoch = o.LeaderEpoch,
                        Metadata = o.Metadata,
                        ErrorCode = (short)o.Error,
                    }));
                    group.Topics.Add(target);
                }

                batched.Groups.Add(group);
            }

            return batched;
        }

        var single = await FetchAsync(request.GroupId, request.Topics?.Select(t => new TopicPartitions(t.Name, t.PartitionIndexes)), version >= 7 && request.RequireStable)
            .ConfigureAwait(false);
        var response = new OffsetFetchResponse { ErrorCode = (short)single.Error };
        foreach (var topic in single.Offsets.GroupBy(o => o.Topic))
        {
            var target = new OffsetFetchResponseTopic { Name = topic.Key };
            target.Partitions.AddRange(topic.Select(o => new OffsetFetchResponsePartition
            {
                PartitionIndex = o.Partition,
                CommittedOffset = o.Offset,
                CommittedLeaderEpoch = o.LeaderEpoch,
                Metadata = o.Metadata,
                // v0-v1 have no top-level error: a group-level error goes on every partition.
                ErrorCode = (short)(o.Error != KafkaErrorCode.None || version >= 2 ? o.Error : single.Error),
            }));
            response.Topics.Add(target);
        }

        return response;
    }

    private async Task<OffsetFetchResult> FetchAsync(string groupId, IEnumerable<TopicPartitions>? topics, bool requireStable)
    {
        IReadOnlyList<TopicPartitions>? requested = topics?.ToList();
        if (groupId.Length == 0)
        {
            return new OffsetFetchResult(KafkaErrorCode.InvalidGroupId,
                [.. (requested ?? []).SelectMany(t => t.Partitions.Select(p => new FetchedOffset(t.Topic, p, -1, -1, "", KafkaErrorCode.InvalidGroupId)))]);
        }

        return await grains.Group(groupId).FetchOffsets(requested, requireStable).ConfigureAwait(false);
    }
}
