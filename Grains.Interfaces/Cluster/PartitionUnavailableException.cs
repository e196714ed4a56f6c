namespace Orleans.Kafka.Cluster;

/// <summary>
/// A partition's owning silo is not live, so the partition cannot be activated anywhere (another silo would start an
/// empty log). Gateways answer it with a retriable Kafka error (NOT_LEADER_OR_FOLLOWER / LEADER_NOT_AVAILABLE).
/// </summary>
[GenerateSerializer, Alias("okafka.PartitionUnavailableException")]
public sealed class PartitionUnavailableException : Exception
{
    public PartitionUnavailableException()
    {
    }

    public PartitionUnavailableException(string message)
        : base(message)
    {
    }

    public PartitionUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The marker the gateway finds in a rejection's text when Orleans reports the failure without the type.</summary>
    public const string Marker = "[partition-unavailable]";

    public static PartitionUnavailableException For(string partitionKey, int siloId) =>
        new($"{Marker} Partition {partitionKey} is owned by silo {siloId}, which is not live.");
}
