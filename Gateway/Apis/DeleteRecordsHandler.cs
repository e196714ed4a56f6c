using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.DeleteRecordsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// DeleteRecords v0-v2: moves each partition's log start offset up to the given offset (-1 = the high watermark) and
/// answers the new low watermark; an offset past the high watermark is OFFSET_OUT_OF_RANGE.
/// </summary>
internal sealed class DeleteRecordsHandler(PartitionCalls calls) : KafkaApiHandler<DeleteRecordsRequest, DeleteRecordsResponse>
{
    public override ApiKey ApiKey => ApiKey.DeleteRecords;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<DeleteRecordsResponse?> HandleAsync(KafkaRequestContext context, DeleteRecordsRequest request, short version, CancellationToken cancellationToken)
    {
        var topics = await calls.ResolveNamesAsync(request.Topics.Select(t => t.Name)).ConfigureAwait(false);
        var response = new DeleteRecordsResponse();
        var slots = new List<(DeleteRecordsTopicResult Target, Task<DeleteRecordsPartitionResult> Result)>();
        foreach (var topic in request.Topics)
        {
            var target = new DeleteRecordsTopicResult { Name = topic.Name };
            response.Topics.Add(target);
            var info = topics[topic.Name];
            foreach (var partition in topic.Partitions)
            {
                slots.Add((target, DeleteAsync(info, topic.Name, partition)));
            }
        }

        foreach (var (target, result) in slots)
        {
            target.Partitions.Add(await result.ConfigureAwait(false));
        }

        return response;
    }

    private async Task<DeleteRecordsPartitionResult> DeleteAsync(Topics.TopicInfo? info, string name, DeleteRecordsRequest.DeleteRecordsPartition partition)
    {
        if (!PartitionCalls.HasPartition(info, partition.PartitionIndex))
        {
            return new DeleteRecordsPartitionResult { PartitionIndex = partition.PartitionIndex, LowWatermark = -1, ErrorCode = (short)KafkaErrorCode.UnknownTopicOrPartition };
        }

        var grain = calls.Grains.GetPartitionGrain(name, partition.PartitionIndex);
        var result = await calls.GuardAsync(
            grain.DeleteRecords(info!.TopicId, partition.Offset),
            name, partition.PartitionIndex, code => new DeleteRecordsResult(code, -1)).ConfigureAwait(false);
        return new DeleteRecordsPartitionResult { PartitionIndex = partition.PartitionIndex, LowWatermark = result.LowWatermark, ErrorCode = (short)result.Error };
    }
}
