using Microsoft.Extensions.Options;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.DeleteTopicsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>DeleteTopics v0-v6: by name, or (v6) by topic id; refused with TOPIC_DELETION_DISABLED when delete.topic.enable is false.</summary>
internal sealed class DeleteTopicsHandler(IGrainFactory grains, IOptions<BrokerOptions> options) : KafkaApiHandler<DeleteTopicsRequest, DeleteTopicsResponse>
{
    public override ApiKey ApiKey => ApiKey.DeleteTopics;

    public override short MinVersion => 0;

    public override short MaxVersion => 6;

    protected override async ValueTask<DeleteTopicsResponse?> HandleAsync(KafkaRequestContext context, DeleteTopicsRequest request, short version, CancellationToken cancellationToken)
    {
        var registry = grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key);
        var targets = version >= 6
            ? request.Topics.Select(t => (t.Name, t.TopicId)).ToList()
            : request.TopicNames.Select(n => ((string?)n, Guid.Empty)).ToList();

        var results = new List<Task<DeletableTopicResult>>();
        var seen = new HashSet<(string?, Guid)>();
        foreach (var (name, topicId) in targets)
        {
            if (!seen.Add((name, topicId)))
            {
                continue;
            }

            var duplicate = targets.Count(t => t == (name, topicId)) > 1;
            results.Add(duplicate
                ? Task.FromResult(Result(name, topicId, KafkaErrorCode.InvalidRequest, "Duplicate topic in request.", version))
                : DeleteAsync(registry, name, topicId, request.TimeoutMs, version, cancellationToken));
        }

        return new DeleteTopicsResponse { Responses = [.. await Task.WhenAll(results).ConfigureAwait(false)] };
    }

    private async Task<DeletableTopicResult> DeleteAsync(ITopicRegistryGrain registry, string? name, Guid topicId, int timeoutMs, short version, CancellationToken cancellationToken)
    {
        if (name is not null && topicId != Guid.Empty)
        {
            return Result(name, topicId, KafkaErrorCode.InvalidRequest, "You may not specify both topic name and topic id.", version);
        }

        if (name is null && topicId == Guid.Empty)
        {
            return Result(name, topicId, KafkaErrorCode.InvalidRequest, "Neither topic name nor id were specified.", version);
        }

        if (name is not null && TopicNames.Validate(name) is { } invalid)
        {
            // Kafka looks the name up and, finding nothing, reports it unknown.
            return Result(name, topicId, KafkaErrorCode.UnknownTopicOrPartition, invalid, version);
        }

        if (!options.Value.DeleteTopicEnable)
        {
            return Result(name, topicId, KafkaErrorCode.TopicDeletionDisabled, "Topic deletion is disabled.", version);
        }

        var result = await AdminTimeouts.WithinAsync(registry.DeleteTopic(name, topicId), timeoutMs, cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            return Result(name, topicId, KafkaErrorCode.RequestTimedOut, $"Timed out after {timeoutMs} ms waiting for the topic to be deleted.", version);
        }

        return Result(result.Name ?? name, result.TopicId == Guid.Empty ? topicId : result.TopicId, result.Error, result.Message, version);
    }

    private static DeletableTopicResult Result(string? name, Guid topicId, KafkaErrorCode error, string? message, short version) => new()
    {
        // Names are mandatory before v6; a by-id entry whose topic is unknown has none.
        Name = version >= 6 ? name : name ?? string.Empty,
        TopicId = version >= 6 ? topicId : Guid.Empty,
        ErrorCode = (short)error,
        ErrorMessage = version >= 5 && error != KafkaErrorCode.None ? message : null,
    };
}
