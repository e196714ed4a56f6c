using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.OffsetDeleteResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// OffsetDelete v0: removes committed offsets of a group. GROUP_ID_NOT_FOUND for an unknown group, NON_EMPTY_GROUP for an
/// active group of a non-consumer protocol, per partition GROUP_SUBSCRIBED_TO_TOPIC while members consume the topic, and
/// UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist.
/// </summary>
internal sealed class OffsetDeleteHandler(IGrainFactory grains, PartitionCalls calls) : KafkaApiHandler<OffsetDeleteRequest, OffsetDeleteResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetDelete;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<OffsetDeleteResponse?> HandleAsync(KafkaRequestContext context, OffsetDeleteRequest request, short version, CancellationToken cancellationToken)
    {
        if (request.GroupId.Length == 0)
        {
            return new OffsetDeleteResponse { ErrorCode = (short)KafkaErrorCode.InvalidGroupId };
        }

        var topics = await calls.ResolveNamesAsync(request.Topics.Select(t => t.Name)).ConfigureAwait(false);
        var errors = new Dictionary<(string, int), KafkaErrorCode>();
        var known = new List<TopicPartitions>();
        foreach (var topic in request.Topics)
        {
            var existing = new List<int>();
            foreach (var partition in topic.Partitions)
            {
                if (PartitionCalls.HasPartition(topics[topic.Name], partition.PartitionIndex))
                {
                    existing.Add(partition.PartitionIndex);
                }
                else
                {
                    errors[(topic.Name, partition.PartitionIndex)] = KafkaErrorCode.UnknownTopicOrPartition;
                }
            }

            if (existing.Count > 0)
            {
                known.Add(new TopicPartitions(topic.Name, existing));
            }
        }

        var result = await grains.Group(request.GroupId).DeleteOffsets(known).ConfigureAwait(false);
        if (result.Error != KafkaErrorCode.None)
        {
            return new OffsetDeleteResponse { ErrorCode = (short)result.Error };
        }

        foreach (var partition in result.Partitions)
        {
            errors[(partition.Topic, partition.Partition)] = partition.Error;
        }

        var response = new OffsetDeleteResponse();
        foreach (var topic in request.Topics)
        {
            var target = new OffsetDeleteResponseTopic { Name = topic.Name };
            target.Partitions.AddRange(topic.Partitions.Select(p => new OffsetDeleteResponsePartition
            {
                PartitionIndex = p.PartitionIndex,
                ErrorCode = (short)errors.GetValueOrDefault((topic.Name, p.PartitionIndex)),
            }));
            response.Topics.Add(target);
        }

        return response;
    }
}
