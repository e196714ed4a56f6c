using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>Validation of manual replica assignments (CreateTopics and CreatePartitions), with Kafka's messages.</summary>
public static class ReplicaAssignments
{
    /// <summary>
    /// Upper bound on partitions per topic. Kafka has none besides memory; we refuse absurd counts with INVALID_PARTITIONS
    /// rather than let one request allocate millions of partition records.
    /// </summary>
    public const int MaxPartitions = 100_000;

    /// <summary>Checks one partition's replica list; <paramref name="replicationFactor"/> is the count earlier partitions set, if any.</summary>
    public static AdminResult? ValidateReplicas(IReadOnlyList<int>? replicas, int? replicationFactor, IReadOnlyList<int> brokers)
    {
        if (replicas is null || replicas.Count == 0)
        {
            return Invalid("The manual partition assignment includes an empty replica list.");
        }

        var seen = new HashSet<int>();
        foreach (var broker in replicas.Order())
        {
            if (!brokers.Contains(broker))
            {
                return Invalid($"The manual partition assignment includes broker {broker}, but no such broker is registered.");
            }

            if (!seen.Add(broker))
            {
                return Invalid($"The manual partition assignment includes the broker {broker} more than once.");
            }
        }

        if (replicationFactor is { } expected && replicas.Count != expected)
        {
            return Invalid(
                $"The manual partition assignment includes a partition with {replicas.Count} replica(s), but this is not consistent with previous partitions, which have {expected} replica(s).");
        }

        return null;
    }

    /// <summary>CreateTopics assignments: partitions 0..n-1 each present once, same replica count everywhere, known brokers.</summary>
    public static AdminResult? ValidateTopicAssignments(IReadOnlyDictionary<int, IReadOnlyList<int>> assignments, IReadOnlyList<int> brokers)
    {
        if (assignments.Count > MaxPartitions)
        {
            return new AdminResult(KafkaErrorCode.InvalidPartitions, TooManyPartitions(assignments.Count));
        }

        int? replicationFactor = null;
        foreach (var (_, replicas) in assignments.OrderBy(a => a.Key))
        {
            var error = ValidateReplicas(replicas, replicationFactor, brokers);
            if (error is not null)
            {
                return error;
            }

            replicationFactor = replicas.Count;
        }

        for (var partition = 0; partition < assignments.Count; partition++)
        {
            if (!assignments.ContainsKey(partition))
            {
                return Invalid("partitions should be a consecutive 0-based integer sequence");
            }
        }

        return null;
    }

    public static string TooManyPartitions(int requested) =>
        $"Number of partitions {requested} exceeds this broker's limit of {MaxPartitions} per topic.";

    public static string ReplicationFactorTooLarge(int replicationFactor, int brokers) =>
        $"Replication factor: {replicationFactor} larger than available brokers: {brokers}.";

    private static AdminResult Invalid(string message) => new(KafkaErrorCode.InvalidReplicaAssignment, message);
}
