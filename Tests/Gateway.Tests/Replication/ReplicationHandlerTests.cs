using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Kafka.Gateway.Apis;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.AlterPartitionReassignmentsRequest;

namespace Orleans.Kafka.Gateway.Tests.Replication;

/// <summary>
/// The replication admin handlers over topic states a single silo cannot produce on demand (no leader, a reassignment
/// in progress, a controller that does not answer), with a two-gateway view: node 1 beside silo 1, node 2 beside silo 2.
/// </summary>
public sealed class ReplicationHandlerTests
{
    private static readonly PartitionInfo Leaderless = new(0, PartitionInfo.NoLeader, 4, [1, 2], []);

    [Fact]
    public async Task Metadata_renders_a_partition_with_leader_minus_one_as_LEADER_NOT_AVAILABLE_with_replicas_as_before()
    {
        var grains = new FakeTopicGrains().Add("offline", Leaderless);
        var (endpoint, directory) = FakeTopicGrains.TwoGatewayView();
        var handler = new MetadataHandler(grains.Factory(), endpoint, directory, Options.Create(new BrokerOptions { NodeId = 1 }), NullLogger<MetadataHandler>.Instance);

        var response = await FakeTopicGrains.HandleAsync<MetadataResponse>(handler, new MetadataRequest { Topics = [new() { Name = "offline" }] }, 12);

        var partition = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal((short)KafkaErrorCode.LeaderNotAvailable, partition.ErrorCode);
        Assert.Equal(-1, partition.LeaderId);
        Assert.Equal(4, partition.LeaderEpoch);
        Assert.Equal([1, 2], partition.ReplicaNodes);
        Assert.Empty(partition.IsrNodes);
        Assert.Empty(partition.OfflineReplicas);
    }

    [Fact]
    public async Task Metadata_describes_a_topic_whose_registry_lookup_fails_from_its_topic_grain()
    {
        var grains = new FakeTopicGrains().Add("moved", new PartitionInfo(0, 2, 7, [2, 1], [2, 1]));
        grains.FailingLookups.Add("moved");
        var (endpoint, directory) = FakeTopicGrains.TwoGatewayView();
        var handler = new MetadataHandler(grains.Factory(), endpoint, directory, Options.Create(new BrokerOptions { NodeId = 1 }), NullLogger<MetadataHandler>.Instance);

        var response = await FakeTopicGrains.HandleAsync<MetadataResponse>(handler, new MetadataRequest { Topics = [new() { Name = "moved" }] }, 12);

        var partition = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal(2, partition.LeaderId);
        Assert.Equal(7, partition.LeaderEpoch);
    }

    [Fact]
    public async Task Metadata_answers_a_topic_nobody_can_describe_with_LEADER_NOT_AVAILABLE_instead_of_closing_the_connection()
    {
        var grains = new FakeTopicGrains().Add("ok", new PartitionInfo(0, 1, 2, [1], [1])).Add("lost", new PartitionInfo(0, 1, 2, [1], [1]));
        grains.FailingLookups.Add("lost");
        grains.FailingTopicGrains.Add("lost");
        var (endpoint, directory) = FakeTopicGrains.TwoGatewayView();
        var handler = new MetadataHandler(grains.Factory(), endpoint, directory, Options.Create(new BrokerOptions { NodeId = 1 }), NullLogger<MetadataHandler>.Instance);

        var response = await FakeTopicGrains.HandleAsync<MetadataResponse>(handler, new MetadataRequest { Topics = [new() { Name = "ok" }, new() { Name = "lost" }] }, 12);

        Assert.Equal((short)KafkaErrorCode.None, response.Topics.Single(t => t.Name == "ok").ErrorCode);
        var lost = response.Topics.Single(t => t.Name == "lost");
        Assert.Equal((short)KafkaErrorCode.LeaderNotAvailable, lost.ErrorCode);
        Assert.Empty(lost.Partitions);
    }

    [Fact]
    public async Task DescribeTopicPartitions_renders_leader_minus_one_without_an_error_and_replicas_isr_as_Metadata()
    {
        var grains = new FakeTopicGrains().Add("mixed", Leaderless, new PartitionInfo(1, 2, 7, [2, 1, 3], [2, 1]));
        var (endpoint, directory) = FakeTopicGrains.TwoGatewayView();
        var handler = new DescribeTopicPartitionsHandler(grains.Factory(), endpoint, directory);

        var response = await FakeTopicGrains.HandleAsync<DescribeTopicPartitionsResponse>(handler, new DescribeTopicPartitionsRequest { Topics = [new() { Name = "mixed" }] }, 0);

        var partitions = Assert.Single(response.Topics).Partitions;
        Assert.Equal(0, partitions[0].ErrorCode);
        Assert.Equal(-1, partitions[0].LeaderId);
        Assert.Equal(4, partitions[0].LeaderEpoch);
        Assert.Equal([1, 2], partitions[0].ReplicaNodes);
        Assert.Empty(partitions[0].IsrNodes);
        Assert.Equal(0, partitions[1].ErrorCode);
        Assert.Equal(2, partitions[1].LeaderId);
        Assert.Equal(7, partitions[1].LeaderEpoch);

        // Silo 3 has no gateway beside it: shown as the leader's gateway, as Metadata shows it.
        Assert.Equal([2, 1], partitions[1].ReplicaNodes);
        Assert.Equal([2, 1], partitions[1].IsrNodes);
        Assert.Empty(partitions[1].OfflineReplicas);
    }

    [Fact]
    public async Task List_shows_only_reassigning_partitions_with_their_replicas_adding_and_removing()
    {
        var grains = new FakeTopicGrains()
            .Add("moving", new PartitionInfo(0, 1, 1, [1, 2, 3], [1, 2], AddingReplicas: [3], RemovingReplicas: [1]), new PartitionInfo(1, 2, 0, [2], [2]))
            .Add("still", new PartitionInfo(0, 1, 0, [1], [1]));
        var handler = new ListPartitionReassignmentsHandler(grains.Factory());

        var all = await FakeTopicGrains.HandleAsync<ListPartitionReassignmentsResponse>(handler, new ListPartitionReassignmentsRequest { Topics = null }, 0);
        var named = await FakeTopicGrains.HandleAsync<ListPartitionReassignmentsResponse>(handler, new ListPartitionReassignmentsRequest
        {
            Topics = [new() { Name = "moving", PartitionIndexes = [1, 0, 9] }, new() { Name = "still", PartitionIndexes = [0] }, new() { Name = "gone", PartitionIndexes = [0] }],
        }, 0);
        var notMoving = await FakeTopicGrains.HandleAsync<ListPartitionReassignmentsResponse>(handler, new ListPartitionReassignmentsRequest
        {
            Topics = [new() { Name = "moving", PartitionIndexes = [1] }],
        }, 0);

        foreach (var response in new[] { all, named })
        {
            Assert.Equal(0, response.ErrorCode);
            Assert.Null(response.ErrorMessage);
            var topic = Assert.Single(response.Topics);
            Assert.Equal("moving", topic.Name);
            var partition = Assert.Single(topic.Partitions);
            Assert.Equal(0, partition.PartitionIndex);
            Assert.Equal([1, 2, 3], partition.Replicas);
            Assert.Equal([3], partition.AddingReplicas);
            Assert.Equal([1], partition.RemovingReplicas);
        }

        Assert.Empty(notMoving.Topics);
    }

    [Fact]
    public async Task Alter_passes_targets_and_cancels_to_the_topic_grain_and_reports_its_errors_per_partition()
    {
        var grains = new FakeTopicGrains().Add("target", new PartitionInfo(0, 1, 0, [1], [1]), new PartitionInfo(1, 1, 0, [1], [1]));
        grains.Alter = (_, partition, _) => Task.FromResult(partition == 0
            ? new AdminResult(KafkaErrorCode.InvalidReplicaAssignment, "The manual partition assignment includes broker 99, but no such broker is registered.")
            : new AdminResult(KafkaErrorCode.None, "ignored on success"));
        var handler = new AlterPartitionReassignmentsHandler(grains.Factory());

        var response = await FakeTopicGrains.HandleAsync<AlterPartitionReassignmentsResponse>(handler, new AlterPartitionReassignmentsRequest
        {
            Topics = [new() { Name = "target", Partitions = [new() { PartitionIndex = 0, Replicas = [99] }, new() { PartitionIndex = 1, Replicas = null }] }],
        }, 0);

        Assert.Equal(0, response.ErrorCode);
        Assert.Null(response.ErrorMessage);
        var partitions = Assert.Single(response.Responses).Partitions;
        Assert.Equal((short)KafkaErrorCode.InvalidReplicaAssignment, partitions[0].ErrorCode);
        Assert.Contains("broker 99", partitions[0].ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, partitions[1].ErrorCode);
        Assert.Null(partitions[1].ErrorMessage);
        Assert.Equal(2, grains.AlterCalls.Count);
        Assert.Equal([99], grains.AlterCalls[0].Target!);
        Assert.Null(grains.AlterCalls[1].Target);
    }

    [Fact]
    public async Task Alter_past_its_timeout_answers_REQUEST_TIMED_OUT_at_the_top_and_for_every_partition()
    {
        var grains = new FakeTopicGrains().Add("stuck", new PartitionInfo(0, 1, 0, [1], [1]), new PartitionInfo(1, 1, 0, [1], [1]));
        var never = new TaskCompletionSource<AdminResult>();
        grains.Alter = (_, _, _) => never.Task;
        var handler = new AlterPartitionReassignmentsHandler(grains.Factory());

        var response = await FakeTopicGrains.HandleAsync<AlterPartitionReassignmentsResponse>(handler, new AlterPartitionReassignmentsRequest
        {
            TimeoutMs = 50,
            Topics = [new() { Name = "stuck", Partitions = [new() { PartitionIndex = 0, Replicas = [1] }, new() { PartitionIndex = 1, Replicas = [1] }] }, Unknown("missing")],
        }, 0);

        Assert.Equal((short)KafkaErrorCode.RequestTimedOut, response.ErrorCode);
        Assert.NotNull(response.ErrorMessage);
        Assert.Equal(["stuck", "missing"], response.Responses.Select(t => t.Name));
        Assert.Equal([0, 1], response.Responses[0].Partitions.Select(p => p.PartitionIndex));
        Assert.All(response.Responses.SelectMany(t => t.Partitions), p => Assert.Equal((short)KafkaErrorCode.RequestTimedOut, p.ErrorCode));
    }

    private static ReassignableTopic Unknown(string name) => new() { Name = name, Partitions = [new() { PartitionIndex = 0, Replicas = [1] }] };
}
