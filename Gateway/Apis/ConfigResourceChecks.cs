using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>The checks AlterConfigs and IncrementalAlterConfigs share before a resource's change reaches its grain.</summary>
internal static class ConfigResourceChecks
{
    /// <summary>(type, name) pairs that appear more than once in one request: Kafka rejects each with INVALID_REQUEST.</summary>
    public static HashSet<(sbyte Type, string Name)> Duplicates(IEnumerable<(sbyte Type, string Name)> resources) =>
        resources.GroupBy(r => r).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();

    public static readonly AdminResult DuplicateResource = new(KafkaErrorCode.InvalidRequest, "Each resource must appear at most once.");

    /// <summary>
    /// The answer for a resource other than a topic: a BROKER's settings are all static here, so altering them
    /// is refused as Kafka refuses non-dynamic configs; other types are unsupported.
    /// </summary>
    public static AdminResult NonTopic(BrokerConfigs brokerConfigs, sbyte resourceType, string resourceName, IEnumerable<string> configNames)
    {
        if ((ConfigResourceType)resourceType != ConfigResourceType.Broker)
        {
            return new AdminResult(KafkaErrorCode.InvalidRequest, $"Unsupported resource type: {resourceType}");
        }

        var check = brokerConfigs.CheckResourceName(resourceName, out _);
        return check.IsOk
            ? new AdminResult(KafkaErrorCode.InvalidRequest, $"Cannot update these configs dynamically: {string.Join(", ", configNames)}")
            : check;
    }
}
