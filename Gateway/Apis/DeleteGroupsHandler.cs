using Microsoft.Extensions.Logging;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.DeleteGroupsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// DeleteGroups v0-v2: each distinct group id is deleted by its grain, in parallel: NONE (the group and its committed
/// offsets are gone), NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when there is no such group. The empty
/// id names no group (JoinGroup refuses it), so it gets GROUP_ID_NOT_FOUND without a grain call, as Kafka answers it;
/// Kafka's INVALID_GROUP_ID is for a null id, which this message's non-nullable field cannot carry. A group whose grain
/// cannot answer gets COORDINATOR_NOT_AVAILABLE (the client retries it).
/// </summary>
internal sealed class DeleteGroupsHandler(IGrainFactory grains, ILogger<DeleteGroupsHandler> logger) : KafkaApiHandler<DeleteGroupsRequest, DeleteGroupsResponse>
{
    public override ApiKey ApiKey => ApiKey.DeleteGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<DeleteGroupsResponse?> HandleAsync(KafkaRequestContext context, DeleteGroupsRequest request, short version, CancellationToken cancellationToken)
    {
        var deletions = request.GroupsNames.Distinct(StringComparer.Ordinal).Select(id => DeleteAsync(id, cancellationToken));
        return new DeleteGroupsResponse { Results = [.. await Task.WhenAll(deletions).ConfigureAwait(false)] };
    }

    private async Task<DeletableGroupResult> DeleteAsync(string groupId, CancellationToken cancellationToken)
    {
        var error = groupId.Length == 0
            ? KafkaErrorCode.GroupIdNotFound
            : await GroupAdminCalls.GuardAsync(logger, grains.GetGrain<IConsumerGroupGrain>(groupId).Delete().WaitAsync(cancellationToken), $"group '{groupId}'", code => code).ConfigureAwait(false);
        return new DeletableGroupResult { GroupId = groupId, ErrorCode = (short)error };
    }
}
