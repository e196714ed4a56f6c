using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>A validated CreateTopics entry: the topic to create (id not yet assigned) or Kafka's error.</summary>
public sealed record TopicPlan(AdminResult Outcome, IReadOnlyList<PartitionInfo> Partitions, IReadOnlyDictionary<string, string> Overrides);

/// <summary>
/// Turns a <see cref="CreateTopicSpec"/> into a <see cref="TopicPlan"/>, checking in Kafka's order: name, existence
/// (done by the caller), configs, then partitions / replication factor / assignments. Pure apart from reading placement.
/// </summary>
public sealed class TopicCreationPlanner(BrokerOptions options, IReplicaPlacement placement)
{
    public TopicPlan Plan(CreateTopicSpec spec)
    {
        var configs = TopicConfigEditor.Replace(spec.Configs, KafkaErrorCode.InvalidConfig);
        if (!configs.Outcome.IsOk)
        {
            return Fail(configs.Outcome);
        }

        var brokers = placement.AvailableBrokers();
        if (spec.Assignments is { Count: > 0 } assignments)
        {
            if (spec.ReplicationFactor != -1)
            {
                return Fail(KafkaErrorCode.InvalidRequest, "A manual partition assignment was specified, but replication factor was not set to -1.");
            }

            if (spec.NumPartitions != -1)
            {
                return Fail(KafkaErrorCode.InvalidRequest, "A manual partition assignment was specified, but numPartitions was not set to -1.");
            }

            var error = ReplicaAssignments.ValidateTopicAssignments(assignments, brokers);
            if (error is not null)
            {
                return Fail(error);
            }

            var manual = assignments.OrderBy(a => a.Key).Select(a => NewPartition(a.Key, [.. a.Value])).ToArray();
            return new TopicPlan(AdminResult.Ok, manual, configs.Overrides);
        }

        if (spec.ReplicationFactor < -1 || spec.ReplicationFactor == 0)
        {
            return Fail(KafkaErrorCode.InvalidReplicationFactor, "Replication factor was set to an invalid non-positive value.");
        }

        if (spec.NumPartitions < -1 || spec.NumPartitions == 0)
        {
            return Fail(KafkaErrorCode.InvalidPartitions, "Number of partitions was set to an invalid non-positive value.");
        }

        var partitions = spec.NumPartitions == -1 ? options.NumPartitions : spec.NumPartitions;
        int replicationFactor = spec.ReplicationFactor == -1 ? options.DefaultReplicationFactor : spec.ReplicationFactor;
        if (partitions < 1)
        {
            return Fail(KafkaErrorCode.InvalidPartitions, $"The broker default num.partitions={partitions} is not a positive number.");
        }

        if (partitions > ReplicaAssignments.MaxPartitions)
        {
            return Fail(KafkaErrorCode.InvalidPartitions, ReplicaAssignments.TooManyPartitions(partitions));
        }

        if (replicationFactor < 1)
        {
            return Fail(KafkaErrorCode.InvalidReplicationFactor, $"The broker default default.replication.factor={replicationFactor} is not a positive number.");
        }

        if (replicationFactor > brokers.Count)
        {
            return Fail(KafkaErrorCode.InvalidReplicationFactor, ReplicaAssignments.ReplicationFactorTooLarge(replicationFactor, brokers.Count));
        }

        var placed = placement.Place(0, partitions, replicationFactor, brokers).Select((replicas, index) => NewPartition(index, replicas)).ToArray();
        return new TopicPlan(AdminResult.Ok, placed, configs.Overrides);
    }

    /// <summary>A new partition: the first replica leads at epoch 0 and every replica starts in sync (as Kafka creates them).</summary>
    public static PartitionInfo NewPartition(int index, int[] replicas) => new(index, replicas[0], 0, replicas, replicas);

    private static TopicPlan Fail(AdminResult outcome) => new(outcome, [], new Dictionary<string, string>());

    private static TopicPlan Fail(KafkaErrorCode code, string message) => Fail(new AdminResult(code, message));
}
