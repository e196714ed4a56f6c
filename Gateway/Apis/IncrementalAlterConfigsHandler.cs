using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.IncrementalAlterConfigsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>IncrementalAlterConfigs v0-v1: set, delete, append and subtract on a topic's config overrides through its topic grain.</summary>
internal sealed class IncrementalAlterConfigsHandler(IGrainFactory grains, BrokerConfigs brokerConfigs)
    : KafkaApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>
{
    public override ApiKey ApiKey => ApiKey.IncrementalAlterConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<IncrementalAlterConfigsResponse?> HandleAsync(KafkaRequestContext context, IncrementalAlterConfigsRequest request, short version, CancellationToken cancellationToken)
    {
        var duplicates = ConfigResourceChecks.Duplicates(request.Resources.Select(r => (r.ResourceType, r.ResourceName)));
        var results = request.Resources.Select(async resource =>
        {
            var result = duplicates.Contains((resource.ResourceType, resource.ResourceName))
                ? ConfigResourceChecks.DuplicateResource
                : await AlterAsync(resource, request.ValidateOnly).ConfigureAwait(false);
            return new AlterConfigsResourceResponse
            {
                ErrorCode = (short)result.Error,
                ErrorMessage = result.IsOk ? null : result.Message,
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
            };
        });
        return new IncrementalAlterConfigsResponse { Responses = [.. await Task.WhenAll(results).ConfigureAwait(false)] };
    }

    private async Task<AdminResult> AlterAsync(IncrementalAlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
    {
        if ((ConfigResourceType)resource.ResourceType != ConfigResourceType.Topic)
        {
            return ConfigResourceChecks.NonTopic(brokerConfigs, resource.ResourceType, resource.ResourceName, resource.Configs.Select(c => c.Name));
        }

        if (TopicNames.Validate(resource.ResourceName) is { } invalid)
        {
            return new AdminResult(KafkaErrorCode.InvalidTopicException, invalid);
        }

        var alterations = new List<ConfigAlteration>(resource.Configs.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var config in resource.Configs)
        {
            if (!names.Add(config.Name))
            {
                return new AdminResult(KafkaErrorCode.InvalidRequest, $"Error due to duplicate config keys: {config.Name}");
            }

            if (!Enum.IsDefined((AlterConfigOp)config.ConfigOperation))
            {
                return new AdminResult(KafkaErrorCode.InvalidRequest, $"Unknown config operation {config.ConfigOperation} for {config.Name}");
            }

            alterations.Add(new ConfigAlteration(config.Name, (AlterConfigOp)config.ConfigOperation, config.Value));
        }

        return await grains.GetGrain<ITopicGrain>(resource.ResourceName).AlterConfigs(alterations, validateOnly).ConfigureAwait(false);
    }
}
