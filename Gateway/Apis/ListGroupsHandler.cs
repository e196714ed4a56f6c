using Microsoft.Extensions.Logging;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.ListGroupsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// ListGroups v0-v5: the groups in the registry, each described by its own grain (in parallel, bounded), with the
/// v4 states filter and the v5 types filter ("classic"/"consumer"), both case-insensitive as in Kafka; an empty filter
/// matches everything. Groups whose grain says they no longer exist (expired, not yet unregistered) and Dead groups are
/// left out. A group whose grain cannot answer is left out and the response carries COORDINATOR_NOT_AVAILABLE, as Kafka
/// answers when one of its coordinator shards fails (the groups of the others are still listed).
/// </summary>
internal sealed class ListGroupsHandler(IGrainFactory grains, ILogger<ListGroupsHandler> logger) : KafkaApiHandler<ListGroupsRequest, ListGroupsResponse>
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
        var error = KafkaErrorCode.None;
        var ids = await GroupAdminCalls.GuardAsync(
            logger,
            grains.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key).ListGroupIds(),
            "the group registry",
            code => { error = code; return (IReadOnlyList<string>)[]; }).ConfigureAwait(false);

        var descriptions = new GroupDescription?[ids.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (i, _) =>
            {
                descriptions[i] = await GroupAdminCalls.TryAsync(logger, grains.GetGrain<IConsumerGroupGrain>(ids[i]).Describe(), $"group '{ids[i]}'").ConfigureAwait(false);
                if (descriptions[i] is null)
                {
                    error = GroupAdminCalls.Unavailable;
                }
            }).ConfigureAwait(false);

        var response = new ListGroupsResponse { ErrorCode = (short)error };
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
