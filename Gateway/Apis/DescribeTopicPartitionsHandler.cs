using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.DescribeTopicPartitionsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// DescribeTopicPartitions v0 (KIP-966): the named topics (or all, when none are named) in name order with their
/// partitions, paged as Kafka pages them: the request's cursor says where to start, at most ResponsePartitionLimit
/// partitions (clamped to [1, <see cref="MaxPartitionLimit"/>]) are returned, and NextCursor names the first one left out.
/// <para>Leader, replicas, ISR and offline replicas are translated from silo ids to broker ids exactly as
/// <see cref="MetadataHandler"/> does. Unlike Metadata, Kafka reports a partition without a live leader here with
/// LeaderId -1 and no error code (KRaftMetadataCache.getPartitionMetadataForDescribeTopicResponse sets none), so we do
/// the same. The broker keeps no eligible leader replicas (ELR, KIP-966's unclean-recovery state): both ELR lists are
/// sent empty, as Kafka sends them when ELR is disabled.</para>
/// </summary>
internal sealed class DescribeTopicPartitionsHandler(IGrainFactory grains, BrokerEndpoint endpoint, GatewayDirectory directory)
    : KafkaApiHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>
{
    /// <summary>Kafka's max.request.partition.size.limit default: the most partitions one response may carry.</summary>
    public const int MaxPartitionLimit = 2000;

    public override ApiKey ApiKey => ApiKey.DescribeTopicPartitions;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<DescribeTopicPartitionsResponse?> HandleAsync(
        KafkaRequestContext context, DescribeTopicPartitionsRequest request, short version, CancellationToken cancellationToken)
    {
        var cursor = request.Cursor;
        var fetchAll = request.Topics.Count == 0;
        var cursorTopic = cursor?.TopicName ?? string.Empty;

        // Kafka refuses a cursor outside the named topics, or one with a negative partition, for the whole request.
        if (cursor is not null && ((!fetchAll && !request.Topics.Any(t => t.Name == cursor.TopicName)) || cursor.PartitionIndex < 0))
        {
            return RequestError(request, KafkaErrorCode.InvalidRequest);
        }

        var snapshot = await grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key).ListTopics().WaitAsync(cancellationToken).ConfigureAwait(false);
        var known = snapshot.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var names = (fetchAll ? known.Keys : request.Topics.Select(t => t.Name))
            .Where(n => string.CompareOrdinal(n, cursorTopic) >= 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);

        var response = new DescribeTopicPartitionsResponse { Topics = [], NextCursor = null };
        var remaining = Math.Max(Math.Min(MaxPartitionLimit, request.ResponsePartitionLimit), 1);
        foreach (var name in names)
        {
            if (remaining == 0)
            {
                // The previous topic used up the limit exactly: continue at the start of this one (which may not exist).
                response.NextCursor = new Cursor { TopicName = name, PartitionIndex = 0 };
                break;
            }

            if (!known.TryGetValue(name, out var topic))
            {
                // Listing all topics never names a missing one; a named one gets its error entry.
                if (!fetchAll)
                {
                    var error = TopicNames.Validate(name) is null ? KafkaErrorCode.UnknownTopicOrPartition : KafkaErrorCode.InvalidTopicException;
                    response.Topics.Add(NewTopic(name, error));
                }

                continue;
            }

            var start = name == cursorTopic ? cursor!.PartitionIndex : 0;
            var next = AddPage(response, topic, start, remaining, out var added);
            if (next >= 0)
            {
                response.NextCursor = new Cursor { TopicName = name, PartitionIndex = next };
                break;
            }

            remaining -= added;
        }

        return response;
    }

    /// <summary>Adds the topic with its partitions [start, start + maxCount); returns the first index left out, or -1 when none is.</summary>
    private int AddPage(DescribeTopicPartitionsResponse response, TopicInfo topic, int start, int maxCount, out int added)
    {
        var entry = NewTopic(topic.Name, KafkaErrorCode.None);
        entry.TopicId = topic.TopicId;
        entry.IsInternal = topic.IsInternal;
        response.Topics.Add(entry);

        // Partition indexes are 0..count-1, so the page is an index range, as in Kafka.
        var count = topic.Partitions.Count;
        var upper = (int)Math.Min(count, (long)start + maxCount);
        var byIndex = topic.Partitions.ToDictionary(p => p.Index);
        for (var index = start; index < upper; index++)
        {
            if (byIndex.TryGetValue(index, out var partition))
            {
                entry.Partitions.Add(Describe(partition));
            }
        }

        added = entry.Partitions.Count;
        return upper < count ? upper : -1;
    }

    /// <summary>The same silo-to-broker translation as Metadata: see <see cref="MetadataHandler"/>.</summary>
    private DescribeTopicPartitionsResponsePartition Describe(PartitionInfo partition)
    {
        var leader = directory.LeaderFor(partition.Leader);
        var fallback = leader >= 0 ? leader : endpoint.NodeId;
        return new DescribeTopicPartitionsResponsePartition
        {
            ErrorCode = (short)KafkaErrorCode.None,
            PartitionIndex = partition.Index,
            LeaderId = leader,
            LeaderEpoch = partition.LeaderEpoch,
            ReplicaNodes = [.. partition.Replicas.Select(r => directory.BrokerFor(r, fallback)).Distinct()],
            IsrNodes = [.. partition.Isr.Where(directory.IsSiloLive).Select(r => directory.BrokerFor(r, fallback)).Distinct()],
            EligibleLeaderReplicas = [],
            LastKnownElr = [],
            OfflineReplicas = [.. partition.Replicas.Where(r => !directory.IsSiloLive(r)).Select(r => directory.BrokerFor(r, fallback)).Distinct()],
        };
    }

    /// <summary>A topic entry; Kafka fills in the authorized operations for every entry, known or not (no authorizer: all).</summary>
    private static DescribeTopicPartitionsResponseTopic NewTopic(string name, KafkaErrorCode error) => new()
    {
        ErrorCode = (short)error,
        Name = name,
        TopicId = Guid.Empty,
        IsInternal = false,
        Partitions = [],
        TopicAuthorizedOperations = AuthorizedOperations.Topic,
    };

    /// <summary>Kafka's answer to a request it refuses as a whole (DescribeTopicPartitionsRequest.getErrorResponse).</summary>
    private static DescribeTopicPartitionsResponse RequestError(DescribeTopicPartitionsRequest request, KafkaErrorCode error) => new()
    {
        Topics = [.. request.Topics.Select(t => new DescribeTopicPartitionsResponseTopic
        {
            ErrorCode = (short)error,
            Name = t.Name,
            IsInternal = false,
            Partitions = [],
        })],
        NextCursor = null,
    };
}
