using Orleans.Kafka.Cluster;
using Orleans.Kafka.Gateway.Apis;
using Orleans.Kafka.Protocol;
using Orleans.Runtime;

namespace Orleans.Kafka.Gateway.Tests.Partitions;

/// <summary>
/// What a client is told when a partition call fails inside Orleans. librdkafka treats UNKNOWN_SERVER_ERROR as permanent:
/// it fails the batch and, being idempotent, bumps its producer epoch and renumbers every batch it has not had confirmed,
/// so a batch appended but answered with that code is written twice. Failover failures must get retriable codes.
/// </summary>
public sealed class PartitionCallErrorTests
{
    [Fact]
    public void Partition_unavailable_is_not_leader_even_when_wrapped()
    {
        var inner = PartitionUnavailableException.For("t/0", 2);
        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, PartitionCalls.ToErrorCode(inner));
        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, PartitionCalls.ToErrorCode(new InvalidOperationException("activation failed", inner)));
        // Orleans may carry only the text of a remote exception.
        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, PartitionCalls.ToErrorCode(new OrleansException($"failed: {PartitionUnavailableException.Marker} moved")));
    }

    [Fact]
    public void Rejected_message_is_not_leader()
    {
        // A rejected message never ran on the grain (forwarding failed, the activation was moving).
        // Orleans creates these itself (the constructor is not public).
        var rejection = (Exception)Activator.CreateInstance(
            typeof(OrleansMessageRejectionException), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public,
            binder: null, args: ["Forwarding failed"], culture: null)!;
        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, PartitionCalls.ToErrorCode(rejection));
        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, PartitionCalls.ToErrorCode(new SiloUnavailableException()));
    }

    [Fact]
    public void Timeout_anywhere_in_the_chain_is_request_timed_out()
    {
        Assert.Equal(KafkaErrorCode.RequestTimedOut, PartitionCalls.ToErrorCode(new TimeoutException()));
        Assert.Equal(KafkaErrorCode.RequestTimedOut, PartitionCalls.ToErrorCode(new OrleansException("call failed", new TimeoutException())));
    }

    [Fact]
    public void Storage_failure_is_kafka_storage_error()
    {
        Assert.Equal(KafkaErrorCode.KafkaStorageError, PartitionCalls.ToErrorCode(new IOException("disk full")));
        Assert.Equal(KafkaErrorCode.KafkaStorageError, PartitionCalls.ToErrorCode(new OrleansException("wrapped", new UnauthorizedAccessException())));
    }

    [Fact]
    public void Anything_else_stays_unknown_server_error()
    {
        Assert.Equal(KafkaErrorCode.UnknownServerError, PartitionCalls.ToErrorCode(new InvalidOperationException("a bug")));
    }
}
