using Orleans.Kafka.Protocol;
using static Orleans.Kafka.Protocol.AlterPartitionReassignmentsRequest;

namespace Orleans.Kafka.Gateway.Tests.Replication;

/// <summary>
/// AlterPartitionReassignments and ListPartitionReassignments v0 on the wire against the single-silo fixture (silo id 1,
/// replication factor 1 topics), with Kafka's per-partition errors. A reassignment onto the one silo completes at once,
/// so nothing is ever listed as in progress here.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PartitionReassignmentsTests(GatewayFixture fixture)
{
    private const int SiloId = GatewayFixture.NodeId;

    [Fact]
    public async Task Invalid_target_replicas_get_INVALID_REPLICA_ASSIGNMENT_per_partition()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "reassign-invalid", 3);

        var response = await AlterAsync(Topic("reassign-invalid", (0, [SiloId, SiloId]), (1, [99]), (2, [])));

        Assert.Equal(0, response.ErrorCode);
        Assert.Null(response.ErrorMessage);
        var topic = Assert.Single(response.Responses);
        Assert.Equal("reassign-invalid", topic.Name);
        Assert.Equal([0, 1, 2], topic.Partitions.Select(p => p.PartitionIndex));
        Assert.All(topic.Partitions, p =>
        {
            Assert.Equal((short)KafkaErrorCode.InvalidReplicaAssignment, p.ErrorCode);
            Assert.False(string.IsNullOrEmpty(p.ErrorMessage));
        });
    }

    [Fact]
    public async Task Cancelling_without_a_reassignment_in_progress_gets_NO_REASSIGNMENT_IN_PROGRESS()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "reassign-cancel", 1);

        var response = await AlterAsync(Topic("reassign-cancel", (0, null)));

        var partition = Assert.Single(Assert.Single(response.Responses).Partitions);
        Assert.Equal((short)KafkaErrorCode.NoReassignmentInProgress, partition.ErrorCode);
    }

    [Fact]
    public async Task Unknown_topics_and_partitions_get_UNKNOWN_TOPIC_OR_PARTITION_per_partition()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "reassign-known", 1);

        var response = await AlterAsync(
            Topic("reassign-missing", (0, [SiloId]), (1, null)),
            Topic("reassign-known", (5, [SiloId])),
            Topic("bad name!", (0, [SiloId])));

        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(["reassign-missing", "reassign-known", "bad name!"], response.Responses.Select(t => t.Name));
        Assert.Equal([0, 1], response.Responses[0].Partitions.Select(p => p.PartitionIndex));
        Assert.Equal([5], response.Responses[1].Partitions.Select(p => p.PartitionIndex));
        Assert.All(response.Responses.SelectMany(t => t.Partitions), p =>
        {
            Assert.Equal((short)KafkaErrorCode.UnknownTopicOrPartition, p.ErrorCode);
            Assert.NotNull(p.ErrorMessage);
        });
    }

    [Fact]
    public async Task List_answers_nothing_when_no_reassignment_is_in_progress()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "reassign-list", 2);

        var all = await ListAsync(new ListPartitionReassignmentsRequest { Topics = null });
        var named = await ListAsync(new ListPartitionReassignmentsRequest
        {
            Topics =
            [
                new() { Name = "reassign-list", PartitionIndexes = [0, 1, 7] },
                new() { Name = "reassign-list-missing", PartitionIndexes = [0] },
            ],
        });

        foreach (var response in new[] { all, named })
        {
            Assert.Equal(0, response.ErrorCode);
            Assert.Null(response.ErrorMessage);
            Assert.Empty(response.Topics);
        }
    }

    [Fact]
    public async Task Reassigning_onto_the_only_silo_succeeds_and_leaves_nothing_in_progress()
    {
        await ReplicationWire.CreateTopicAsync(fixture, "reassign-same", 1);

        var response = await AlterAsync(Topic("reassign-same", (0, [SiloId])));

        var partition = Assert.Single(Assert.Single(response.Responses).Partitions);
        Assert.Equal(0, partition.ErrorCode);
        Assert.Null(partition.ErrorMessage);
        // The controller may finish the (no-op) move after answering: await it with a deadline.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        ListPartitionReassignmentsResponse listed;
        do
        {
            listed = await ListAsync(new ListPartitionReassignmentsRequest { Topics = [new() { Name = "reassign-same", PartitionIndexes = [0] }] });
        }
        while (listed.Topics.Count > 0 && DateTime.UtcNow < deadline && await Task.Delay(50).ContinueWith(_ => true));

        Assert.Empty(listed.Topics);
        var described = await ReplicationWire.RequestAsync<DescribeTopicPartitionsResponse>(
            fixture, new DescribeTopicPartitionsRequest { Topics = [new() { Name = "reassign-same" }] });
        Assert.Equal([GatewayFixture.NodeId], Assert.Single(Assert.Single(described.Topics).Partitions).ReplicaNodes);
    }

    private static ReassignableTopic Topic(string name, params (int Index, int[]? Replicas)[] partitions) => new()
    {
        Name = name,
        Partitions = [.. partitions.Select(p => new ReassignablePartition { PartitionIndex = p.Index, Replicas = p.Replicas is null ? null : [.. p.Replicas] })],
    };

    private Task<AlterPartitionReassignmentsResponse> AlterAsync(params ReassignableTopic[] topics) =>
        ReplicationWire.RequestAsync<AlterPartitionReassignmentsResponse>(fixture, new AlterPartitionReassignmentsRequest { TimeoutMs = 10000, Topics = [.. topics] });

    private Task<ListPartitionReassignmentsResponse> ListAsync(ListPartitionReassignmentsRequest request) =>
        ReplicationWire.RequestAsync<ListPartitionReassignmentsResponse>(fixture, request);
}
