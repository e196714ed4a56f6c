using Microsoft.Extensions.Options;

namespace Orleans.Kafka.Gateway.Hosting;

/// <summary>Rejects broker settings Kafka would refuse at start-up, naming the Kafka key.</summary>
internal sealed class BrokerOptionsValidator : IValidateOptions<BrokerOptions>
{
    public ValidateOptionsResult Validate(string? name, BrokerOptions options)
    {
        var failures = new List<string>();
        if (options.NodeId < 0)
        {
            failures.Add($"node.id must be 0 or more (got {options.NodeId}).");
        }

        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add("cluster.id must not be empty.");
        }

        if (options.ListenerPort is < 0 or > 65535)
        {
            failures.Add($"listener.port must be between 0 and 65535 (got {options.ListenerPort}).");
        }

        if (options.AdvertisedPort is < 1 or > 65535)
        {
            failures.Add($"advertised.port must be between 1 and 65535 (got {options.AdvertisedPort}).");
        }

        if (options.SocketRequestMaxBytes < 1)
        {
            failures.Add($"socket.request.max.bytes must be at least 1 (got {options.SocketRequestMaxBytes}).");
        }

        if (options.NumPartitions < 1)
        {
            failures.Add($"num.partitions must be at least 1 (got {options.NumPartitions}).");
        }

        if (options.DefaultReplicationFactor < 1)
        {
            failures.Add($"default.replication.factor must be at least 1 (got {options.DefaultReplicationFactor}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
