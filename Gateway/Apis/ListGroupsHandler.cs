using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.ListGroupsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// ListGroups v0-v5: the groups in the registry, each described by its own grain (in parallel, bounded), with the
/// v4 states filter and the v5 types filter ("classic"/"consumer"), both case-insensitive as in Kafka; an empty filter
/// matches everything. Groups whose grain says they no longer exist (expired, not yet unregistered) and Dead groups are
/// left out.
/// </summary>
internal sealed class ListGroupsHandler(IGrainFactory grains) : KafkaApiHandler<ListGroupsRequest, ListGroupsResponse>
{
    /// <summary>How many group grains are asked at once: enough to hide call latency, few enough not to flood the silo.</summary>
    private const int Parallelism = 32;

    public override ApiKey ApiKey => ApiKey.ListGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<ListGroupsResponse?> HandleAsync(KafkaRequestContext context, ListGroupsRequest request, short version, CancellationToken cancellationToken)
    {
        var states = version >= 4 ? new HashSet<string>(request.StatesFilter, StringComparer.OrdinalIgnoreCase) : [];
        var types = version >= 5 ? new HashSet<string>(request.TypesFilter, StringComparer.OrdinalIgnoreCase) : [];
        var ids = await grains.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key).ListGroupIds().ConfigureAwait(false);

        var descriptions = new GroupDescription?[ids.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (i, _) => descriptions[i] = await grains.GetGrain<IConsumerGroupGrain>(ids[i]).Describe().ConfigureAwait(false)).ConfigureAwait(false);

        var response = new ListGroupsResponse();
        foreach (var group in descriptions)
        {
            if (group is null || !group.Exists || group.State == GroupStates.Dead)
            {
                continue;
            }

            if ((states.Count > 0 && !states.Contains(group.State)) || (types.Count > 0 && !types.Contains(group.GroupType)))
            {
                continue;
            }

            response.Groups.Add(new ListedGroup
            {
                GroupId = group.GroupId,
                ProtocolType = group.ProtocolType,
                GroupState = group.State,
                GroupType = group.GroupType,
            });
        }

        return response;
    }
}
