using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.AlterPartitionReassignmentsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// AlterPartitionReassignments v0: starts (target replicas) or cancels (null replicas) the reassignment of each named
/// partition through its topic grain (<see cref="ITopicGrain.AlterReassignment"/>), which validates the assignment and
/// answers with Kafka's error and message per partition. Replica ids are broker ids, which are silo ids (the gateway
/// beside a silo takes the silo's id as node.id), so they pass through unchanged.
/// <para>As Kafka's controller does, a missing topic or partition is UNKNOWN_TOPIC_OR_PARTITION for that partition only,
/// and passing timeout_ms fails the whole request: REQUEST_TIMED_OUT at the top level and for every partition
/// (AlterPartitionReassignmentsRequest.getErrorResponse); changes already accepted by then still go ahead.</para>
/// </summary>
internal sealed class AlterPartitionReassignmentsHandler(IGrainFactory grains)
    : KafkaApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>
{
    public override ApiKey ApiKey => ApiKey.AlterPartitionReassignments;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<AlterPartitionReassignmentsResponse?> HandleAsync(
        KafkaRequestContext context, AlterPartitionReassignmentsRequest request, short version, CancellationToken cancellationToken)
    {
        var registry = grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key);
        var all = Task.WhenAll(request.Topics.Select(t => AlterTopicAsync(registry, t)));
        var results = await AdminTimeouts.WithinAsync(all, request.TimeoutMs, cancellationToken).ConfigureAwait(false);
        if (results is null)
        {
            return TimedOut(request);
        }

        return new AlterPartitionReassignmentsResponse
        {
            ErrorCode = (short)KafkaErrorCode.None,
            ErrorMessage = null,
            Responses = [.. results],
        };
    }

    /// <summary>One topic's partitions, one after another in request order (the topic grain takes them one at a time anyway).</summary>
    private async Task<ReassignableTopicResponse> AlterTopicAsync(ITopicRegistryGrain registry, AlterPartitionReassignmentsRequest.ReassignableTopic topic)
    {
        var response = new ReassignableTopicResponse { Name = topic.Name, Partitions = [] };
        var info = TopicNames.Validate(topic.Name) is null ? await registry.GetTopic(topic.Name).ConfigureAwait(false) : null;
        foreach (var partition in topic.Partitions)
        {
            AdminResult result;
            if (info is null)
            {
                result = new AdminResult(KafkaErrorCode.UnknownTopicOrPartition, $"Unable to find a topic named {topic.Name}.");
            }
            else if (!info.Partitions.Any(p => p.Index == partition.PartitionIndex))
            {
                result = new AdminResult(KafkaErrorCode.UnknownTopicOrPartition, $"Unable to find partition {topic.Name}:{partition.PartitionIndex}.");
            }
            else
            {
                var target = partition.Replicas is null ? null : (IReadOnlyList<int>)[.. partition.Replicas];
                result = await grains.GetGrain<ITopicGrain>(topic.Name).AlterReassignment(partition.PartitionIndex, target).ConfigureAwait(false);
            }

            response.Partitions.Add(Partition(partition.PartitionIndex, result.Error, result.Message));
        }

        return response;
    }

    private static AlterPartitionReassignmentsResponse TimedOut(AlterPartitionReassignmentsRequest request)
    {
        var message = $"Timed out after {request.TimeoutMs} ms waiting for the reassignments to be accepted.";
        return new AlterPartitionReassignmentsResponse
        {
            ErrorCode = (short)KafkaErrorCode.RequestTimedOut,
            ErrorMessage = message,
            Responses = [.. request.Topics.Select(t => new ReassignableTopicResponse
            {
                Name = t.Name,
                Partitions = [.. t.Partitions.Select(p => Partition(p.PartitionIndex, KafkaErrorCode.RequestTimedOut, message))],
            })],
        };
    }

    /// <summary>Kafka sends no message for a partition without an error (ApiError.NONE).</summary>
    private static ReassignablePartitionResponse Partition(int index, KafkaErrorCode error, string? message) => new()
    {
        PartitionIndex = index,
        ErrorCode = (short)error,
        ErrorMessage = error == KafkaErrorCode.None ? null : message,
    };
}
