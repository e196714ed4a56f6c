using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.CreateTopicsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// CreateTopics v0-v7 through the topic registry: -1 partitions/replication factor mean the broker defaults,
/// explicit assignments, configs, validate_only; v5+ echoes the topic's partitions, replication factor and configs.
/// </summary>
internal sealed class CreateTopicsHandler(IGrainFactory grains) : KafkaApiHandler<CreateTopicsRequest, CreateTopicsResponse>
{
    public override ApiKey ApiKey => ApiKey.CreateTopics;

    public override short MinVersion => 0;

    public override short MaxVersion => 7;

    protected override async ValueTask<CreateTopicsResponse?> HandleAsync(KafkaRequestContext context, CreateTopicsRequest request, short version, CancellationToken cancellationToken)
    {
        var registry = grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key);
        var validateOnly = version >= 1 && request.validateOnly;
        var duplicates = request.Topics.GroupBy(t => t.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);

        var results = new List<Task<CreatableTopicResult>>();
        foreach (var topic in request.Topics)
        {
            if (!duplicates.Contains(topic.Name))
            {
                results.Add(CreateAsync(registry, topic, validateOnly, request.timeoutMs, version, cancellationToken));
            }
        }

        // Kafka answers each name given more than once with one INVALID_REQUEST entry and creates none of them.
        foreach (var name in duplicates)
        {
            results.Add(Task.FromResult(Failed(name, KafkaErrorCode.InvalidRequest, "Duplicate topic name.")));
        }

        return new CreateTopicsResponse { Topics = [.. await Task.WhenAll(results).ConfigureAwait(false)] };
    }

    private static async Task<CreatableTopicResult> CreateAsync(ITopicRegistryGrain registry, CreateTopicsRequest.CreatableTopic topic, bool validateOnly, int timeoutMs, short version, CancellationToken cancellationToken)
    {
        if (TopicNames.Validate(topic.Name) is { } invalid)
        {
            return Failed(topic.Name, KafkaErrorCode.InvalidTopicException, invalid);
        }

        var assignments = topic.Assignments is { Count: > 0 }
            ? topic.Assignments.GroupBy(a => a.PartitionIndex).ToDictionary(g => g.Key, g => (IReadOnlyList<int>)[.. g.Last().BrokerIds])
            : null;
        if (assignments is not null && assignments.Count != topic.Assignments!.Count)
        {
            return Failed(topic.Name, KafkaErrorCode.InvalidReplicaAssignment, "A partition index appears more than once in the replica assignment.");
        }

        var configs = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var config in topic.Configs)
        {
            configs[config.Name] = config.Value;
        }

        var spec = new CreateTopicSpec(topic.Name, topic.NumPartitions, topic.ReplicationFactor, assignments, configs);
        var result = await AdminTimeouts.WithinAsync(registry.CreateTopic(spec, validateOnly), timeoutMs, cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            return Failed(topic.Name, KafkaErrorCode.RequestTimedOut, $"Timed out after {timeoutMs} ms waiting for topic {topic.Name} to be created.");
        }

        if (result.Error != KafkaErrorCode.None)
        {
            return Failed(topic.Name, result.Error, result.Message);
        }

        var created = new CreatableTopicResult { Name = topic.Name, ErrorCode = 0, ErrorMessage = null };
        if (result.Topic is { } info)
        {
            if (version >= 7)
            {
                created.TopicId = info.TopicId;
            }

            if (version >= 5)
            {
                created.NumPartitions = info.Partitions.Count;
                created.ReplicationFactor = (short)(info.Partitions.Count > 0 ? info.Partitions[0].Replicas.Count : -1);
            }
        }

        if (version >= 5)
        {
            created.Configs = [.. (result.Configs ?? []).Select(c => new CreatableTopicConfigs
            {
                Name = c.Name,
                Value = c.Value,
                ReadOnly = c.ReadOnly,
                ConfigSource = (sbyte)c.Source,
                IsSensitive = c.IsSensitive,
            })];
        }

        return created;
    }

    private static CreatableTopicResult Failed(string name, KafkaErrorCode error, string? message) => new()
    {
        Name = name,
        ErrorCode = (short)error,
        ErrorMessage = message,
        NumPartitions = -1,
        ReplicationFactor = -1,
        Configs = null,
    };
}
