using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.ListOffsetsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// ListOffsets v1-v10: latest (-1, up to the last stable offset under read_committed), earliest (-2), max timestamp
/// (-3, v7+), earliest local (-4, the same as earliest without tiered storage) and by timestamp through the time index.
/// No match is offset -1 with timestamp -1, as in Kafka.
/// </summary>
internal sealed class ListOffsetsHandler(PartitionCalls calls) : KafkaApiHandler<ListOffsetsRequest, ListOffsetsResponse>
{
    public override ApiKey ApiKey => ApiKey.ListOffsets;

    public override short MinVersion => 1;

    public override short MaxVersion => 10;

    protected override async ValueTask<ListOffsetsResponse?> HandleAsync(KafkaRequestContext context, ListOffsetsRequest request, short version, CancellationToken cancellationToken)
    {
        var topics = await calls.ResolveNamesAsync(request.Topics.Select(t => t.Name)).ConfigureAwait(false);
        var isolation = request.IsolationLevel == 1 ? FetchIsolation.ReadCommitted : FetchIsolation.ReadUncommitted;
        var response = new ListOffsetsResponse();
        var slots = new List<(ListOffsetsTopicResponse Target, Task<ListOffsetsPartitionResponse> Result)>();
        foreach (var topic in request.Topics)
        {
            var target = new ListOffsetsTopicResponse { Name = topic.Name };
            response.Topics.Add(target);
            var info = topics[topic.Name];
            foreach (var partition in topic.Partitions)
            {
                slots.Add((target, ListAsync(info, topic.Name, partition, isolation, version)));
            }
        }

        foreach (var (target, result) in slots)
        {
            target.Partitions.Add(await result.ConfigureAwait(false));
        }

        return response;
    }

    private async Task<ListOffsetsPartitionResponse> ListAsync(Topics.TopicInfo? info, string name, ListOffsetsRequest.ListOffsetsPartition partition, FetchIsolation isolation, short version)
    {
        if (!PartitionCalls.HasPartition(info, partition.PartitionIndex))
        {
            return Failed(partition.PartitionIndex, KafkaErrorCode.UnknownTopicOrPartition);
        }

        var grain = calls.Grains.GetPartitionGrain(name, partition.PartitionIndex);
        var result = await calls.GuardAsync(
            grain.ListOffset(new ListOffsetCommand(info!.TopicId, partition.Timestamp, isolation, partition.CurrentLeaderEpoch)),
            name, partition.PartitionIndex, code => new ListOffsetResult(code, -1, -1, -1)).ConfigureAwait(false);
        return result.Error != KafkaErrorCode.None
            ? Failed(partition.PartitionIndex, result.Error)
            : new ListOffsetsPartitionResponse
            {
                PartitionIndex = partition.PartitionIndex,
                ErrorCode = 0,
                Timestamp = result.Timestamp,
                Offset = result.Offset,
                LeaderEpoch = version >= 4 ? result.LeaderEpoch : -1, // the field exists from v4
            };
    }

    private static ListOffsetsPartitionResponse Failed(int partition, KafkaErrorCode error) => new()
    {
        PartitionIndex = partition,
        ErrorCode = (short)error,
        Timestamp = -1,
        Offset = -1,
        LeaderEpoch = -1,
    };
}
