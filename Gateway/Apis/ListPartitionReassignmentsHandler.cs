using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.ListPartitionReassignmentsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// ListPartitionReassignments v0: the partitions with a reassignment in progress, with their current replicas (old and
/// target together) and the replicas being added and removed; every topic when Topics is null, else only the named
/// partitions. As in Kafka's controller, partitions not being reassigned, missing topics and missing partitions are
/// left out silently, and a topic with nothing to list is omitted.
/// <para>Replica ids are silo ids as the topic grain keeps them, the ids AlterPartitionReassignments takes (equal to the
/// broker ids of the gateways beside the silos), so a client can compare what it asked for with what is listed.</para>
/// </summary>
internal sealed class ListPartitionReassignmentsHandler(IGrainFactory grains)
    : KafkaApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>
{
    public override ApiKey ApiKey => ApiKey.ListPartitionReassignments;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<ListPartitionReassignmentsResponse?> HandleAsync(
        KafkaRequestContext context, ListPartitionReassignmentsRequest request, short version, CancellationToken cancellationToken)
    {
        var snapshot = await AdminTimeouts.WithinAsync(
            grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key).ListTopics(), request.TimeoutMs, cancellationToken).ConfigureAwait(false);
        if (snapshot is null)
        {
            // Kafka's answer when the controller misses the deadline (ListPartitionReassignmentsRequest.getErrorResponse).
            return new ListPartitionReassignmentsResponse
            {
                ErrorCode = (short)KafkaErrorCode.RequestTimedOut,
                ErrorMessage = $"Timed out after {request.TimeoutMs} ms listing partition reassignments.",
                Topics = [],
            };
        }

        var response = new ListPartitionReassignmentsResponse { ErrorCode = (short)KafkaErrorCode.None, ErrorMessage = null, Topics = [] };
        if (request.Topics is null)
        {
            foreach (var topic in snapshot.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                AddOngoing(response, topic, topic.Partitions.OrderBy(p => p.Index));
            }

            return response;
        }

        var byName = snapshot.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var requested in request.Topics)
        {
            if (byName.TryGetValue(requested.Name, out var topic))
            {
                var byIndex = topic.Partitions.ToDictionary(p => p.Index);
                AddOngoing(response, topic, requested.PartitionIndexes.Select(i => byIndex.GetValueOrDefault(i)).OfType<PartitionInfo>());
            }
        }

        return response;
    }

    private static void AddOngoing(ListPartitionReassignmentsResponse response, TopicInfo topic, IEnumerable<PartitionInfo> partitions)
    {
        var ongoing = new OngoingTopicReassignment { Name = topic.Name, Partitions = [] };
        foreach (var partition in partitions.Where(p => p.IsReassigning))
        {
            ongoing.Partitions.Add(new OngoingPartitionReassignment
            {
                PartitionIndex = partition.Index,
                Replicas = [.. partition.Replicas],
                AddingReplicas = [.. partition.Adding],
                RemovingReplicas = [.. partition.Removing],
            });
        }

        if (ongoing.Partitions.Count > 0)
        {
            response.Topics.Add(ongoing);
        }
    }
}
