using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.AlterConfigsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>AlterConfigs v0-v2: replaces a topic's whole set of config overrides through its topic grain.</summary>
internal sealed class AlterConfigsHandler(IGrainFactory grains, BrokerConfigs brokerConfigs) : KafkaApiHandler<AlterConfigsRequest, AlterConfigsResponse>
{
    public override ApiKey ApiKey => ApiKey.AlterConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<AlterConfigsResponse?> HandleAsync(KafkaRequestContext context, AlterConfigsRequest request, short version, CancellationToken cancellationToken)
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
        return new AlterConfigsResponse { Responses = [.. await Task.WhenAll(results).ConfigureAwait(false)] };
    }

    private async Task<AdminResult> AlterAsync(AlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
    {
        if ((ConfigResourceType)resource.ResourceType != ConfigResourceType.Topic)
        {
            return ConfigResourceChecks.NonTopic(brokerConfigs, resource.ResourceType, resource.ResourceName, resource.Configs.Select(c => c.Name));
        }

        if (TopicNames.Validate(resource.ResourceName) is { } invalid)
        {
            return new AdminResult(KafkaErrorCode.InvalidTopicException, invalid);
        }

        var configs = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var config in resource.Configs)
        {
            if (!configs.TryAdd(config.Name, config.Value))
            {
                return new AdminResult(KafkaErrorCode.InvalidRequest, $"Error due to duplicate config keys: {config.Name}");
            }
        }

        return await grains.GetGrain<ITopicGrain>(resource.ResourceName).ReplaceConfigs(configs, validateOnly).ConfigureAwait(false);
    }
}
