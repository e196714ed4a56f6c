using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.OffsetForLeaderEpochResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// OffsetForLeaderEpoch v0-v4: the end offset of the requested epoch in each partition's epoch history (consumers use
/// it to detect log truncation after a leader change), with FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH checks of
/// current_leader_epoch (v2+).
/// </summary>
internal sealed class OffsetForLeaderEpochHandler(PartitionCalls calls) : KafkaApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetForLeaderEpoch;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override async ValueTask<OffsetForLeaderEpochResponse?> HandleAsync(KafkaRequestContext context, OffsetForLeaderEpochRequest request, short version, CancellationToken cancellationToken)
    {
        var topics = await calls.ResolveNamesAsync(request.Topics.Select(t => t.Topic)).ConfigureAwait(false);
        var response = new OffsetForLeaderEpochResponse();
        var slots = new List<(OffsetForLeaderTopicResult Target, Task<EpochEndOffset> Result)>();
        foreach (var topic in request.Topics)
        {
            var target = new OffsetForLeaderTopicResult { Topic = topic.Topic };
            response.Topics.Add(target);
            var info = topics[topic.Topic];
            foreach (var partition in topic.Partitions)
            {
                slots.Add((target, EndOffsetAsync(info, topic.Topic, partition, version)));
            }
        }

        foreach (var (target, result) in slots)
        {
            target.Partitions.Add(await result.ConfigureAwait(false));
        }

        return response;
    }

    private async Task<EpochEndOffset> EndOffsetAsync(Topics.TopicInfo? info, string name, OffsetForLeaderEpochRequest.OffsetForLeaderPartition partition, short version)
    {
        if (!PartitionCalls.HasPartition(info, partition.Partition))
        {
            return new EpochEndOffset { Partition = partition.Partition, ErrorCode = (short)KafkaErrorCode.UnknownTopicOrPartition, LeaderEpoch = -1, EndOffset = -1 };
        }

        var grain = calls.Grains.GetPartitionGrain(name, partition.Partition);
        var result = await calls.GuardAsync(
            grain.OffsetForLeaderEpoch(info!.TopicId, partition.CurrentLeaderEpoch, partition.LeaderEpoch),
            name, partition.Partition, code => new EpochEndOffsetResult(code, -1, -1)).ConfigureAwait(false);
        return new EpochEndOffset
        {
            Partition = partition.Partition,
            ErrorCode = (short)result.Error,
            LeaderEpoch = version >= 1 ? result.LeaderEpoch : -1, // the field exists from v1
            EndOffset = result.EndOffset,
        };
    }
}
