using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.DescribeConfigsResponse;
using DescribeConfigsResult = Orleans.Kafka.Protocol.DescribeConfigsResponse.DescribeConfigsResult;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>DescribeConfigs v0-v4: topic configs from the topic grain, this broker's settings for a BROKER resource.</summary>
internal sealed class DescribeConfigsHandler(IGrainFactory grains, BrokerConfigs brokerConfigs) : KafkaApiHandler<DescribeConfigsRequest, DescribeConfigsResponse>
{
    public override ApiKey ApiKey => ApiKey.DescribeConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override async ValueTask<DescribeConfigsResponse?> HandleAsync(KafkaRequestContext context, DescribeConfigsRequest request, short version, CancellationToken cancellationToken)
    {
        var includeSynonyms = version >= 1 && request.IncludeSynonyms;
        var includeDocumentation = version >= 3 && request.IncludeDocumentation;
        var results = request.Resources.Select(r => DescribeAsync(r, includeSynonyms, includeDocumentation, version));
        return new DescribeConfigsResponse { Results = [.. await Task.WhenAll(results).ConfigureAwait(false)] };
    }

    private async Task<DescribeConfigsResult> DescribeAsync(DescribeConfigsRequest.DescribeConfigsResource resource, bool includeSynonyms, bool includeDocumentation, short version)
    {
        var result = new DescribeConfigsResult { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName, Configs = [] };

        // Kafka describes every config when the key list is null or empty.
        var keys = resource.ConfigurationKeys is { Count: > 0 } requested ? requested : null;
        switch ((ConfigResourceType)resource.ResourceType)
        {
            case ConfigResourceType.Topic:
                if (TopicNames.Validate(resource.ResourceName) is { } invalid)
                {
                    return Fail(result, KafkaErrorCode.InvalidTopicException, invalid);
                }

                var described = await grains.GetGrain<ITopicGrain>(resource.ResourceName)
                    .DescribeConfigs(keys, includeSynonyms, includeDocumentation).ConfigureAwait(false);
                if (described.Error != KafkaErrorCode.None)
                {
                    return Fail(result, described.Error, described.Message);
                }

                result.Configs.AddRange(described.Entries.Select(e => ToWire(e, includeSynonyms, includeDocumentation, version)));
                return result;

            case ConfigResourceType.Broker:
                var check = brokerConfigs.CheckResourceName(resource.ResourceName, out var clusterDefault);
                if (!check.IsOk)
                {
                    return Fail(result, check.Error, check.Message);
                }

                // The cluster-wide default resource lists dynamic defaults, and this broker has none.
                if (!clusterDefault)
                {
                    result.Configs.AddRange(brokerConfigs.Describe(keys, includeSynonyms).Select(e => ToWire(e, includeSynonyms, includeDocumentation, version)));
                }

                return result;

            case ConfigResourceType.BrokerLogger:
                // Kafka lists a broker's log4j logger levels here; this broker has none to list.
                if (resource.ResourceName.Length == 0)
                {
                    return Fail(result, KafkaErrorCode.InvalidRequest, "Broker id must not be empty");
                }

                var logger = brokerConfigs.CheckResourceName(resource.ResourceName, out _);
                return logger.IsOk ? result : Fail(result, logger.Error, logger.Message);

            default:
                return Fail(result, KafkaErrorCode.InvalidRequest, $"Unsupported resource type: {resource.ResourceType}");
        }
    }

    private static DescribeConfigsResult Fail(DescribeConfigsResult result, KafkaErrorCode error, string? message)
    {
        result.ErrorCode = (short)error;
        result.ErrorMessage = message;
        result.Configs = [];
        return result;
    }

    private static DescribeConfigsResourceResult ToWire(ConfigEntry entry, bool includeSynonyms, bool includeDocumentation, short version)
    {
        var wire = new DescribeConfigsResourceResult
        {
            Name = entry.Name,
            Value = entry.IsSensitive ? null : entry.Value,
            ReadOnly = entry.ReadOnly,
            IsSensitive = entry.IsSensitive,
            Synonyms = [],
        };
        if (version == 0)
        {
            wire.IsDefault = entry.Source == ConfigSource.DefaultConfig;
        }
        else
        {
            wire.ConfigSource = (sbyte)entry.Source;
            if (includeSynonyms)
            {
                wire.Synonyms.AddRange(entry.Synonyms.Select(s => new DescribeConfigsSynonym { Name = s.Name, Value = entry.IsSensitive ? null : s.Value, Source = (sbyte)s.Source }));
            }
        }

        if (version >= 3)
        {
            wire.ConfigType = (sbyte)entry.Type;
            wire.Documentation = includeDocumentation ? entry.Documentation : null;
        }

        return wire;
    }
}
