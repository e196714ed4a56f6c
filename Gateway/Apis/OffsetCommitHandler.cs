using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.OffsetCommitResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// OffsetCommit v0-v9. Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION; the rest go to the group grain in one
/// call, which checks generation and member (a generation -1 / empty member commit is a "simple" commit). v2-v4's
/// retention_time_ms sets an expiry; v1's per-partition commit timestamp is ignored (the broker stamps commits, as Kafka
/// does from v2).
/// </summary>
internal sealed class OffsetCommitHandler(IGrainFactory grains, PartitionCalls calls) : KafkaApiHandler<OffsetCommitRequest, OffsetCommitResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetCommit;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override async ValueTask<OffsetCommitResponse?> HandleAsync(KafkaRequestContext context, OffsetCommitRequest request, short version, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<(string, int), KafkaErrorCode>();
        var entries = new List<OffsetCommitEntry>();
        var topics = await calls.ResolveNamesAsync(request.Topics.Select(t => t.Name)).ConfigureAwait(false);
        foreach (var topic in request.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                if (request.GroupId.Length == 0)
                {
                    errors[(topic.Name, partition.PartitionIndex)] = KafkaErrorCode.InvalidGroupId;
                }
                else if (!PartitionCalls.HasPartition(topics[topic.Name], partition.PartitionIndex))
                {
                    errors[(topic.Name, partition.PartitionIndex)] = KafkaErrorCode.UnknownTopicOrPartition;
                }
                else
                {
                    entries.Add(new OffsetCommitEntry(topic.Name, partition.PartitionIndex, partition.CommittedOffset,
                        version >= 6 ? partition.CommittedLeaderEpoch : -1, partition.CommittedMetadata));
                }
            }
        }

        if (entries.Count > 0)
        {
            var command = new OffsetCommitCommand(
                version >= 1 ? request.GenerationIdOrMemberEpoch : -1,
                version >= 1 ? request.MemberId : "",
                version >= 7 ? request.GroupInstanceId : null,
                version is >= 2 and <= 4 ? request.RetentionTimeMs : -1,
                entries);
            foreach (var result in await grains.Group(request.GroupId).CommitOffsets(command).ConfigureAwait(false))
            {
                errors[(result.Topic, result.Partition)] = result.Error;
            }
        }

        var response = new OffsetCommitResponse();
        foreach (var topic in request.Topics)
        {
            var target = new OffsetCommitResponseTopic { Name = topic.Name };
            target.Partitions.AddRange(topic.Partitions.Select(p => new OffsetCommitResponsePartition
            {
                PartitionIndex = p.PartitionIndex,
                ErrorCode = (short)errors.GetValueOrDefault((topic.Name, p.PartitionIndex)),
            }));
            response.Topics.Add(target);
        }

        return response;
    }
}
