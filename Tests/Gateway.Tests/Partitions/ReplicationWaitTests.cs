using System.Reflection;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Gateway.Apis;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Runtime;

namespace Orleans.Kafka.Gateway.Tests.Partitions;

/// <summary>
/// The gateway's acks=-1 wait across a leader move: while the partition is between activations it asks again, and only a
/// leader's own answer may say "not persisted"; running out of time says REQUEST_TIMED_OUT ("possibly persisted").
/// </summary>
public sealed class ReplicationWaitTests
{
    private static readonly ProduceResult Appended = new(KafkaErrorCode.None, 10, -1, 0, null, AwaitOffset: 11, AwaitEpoch: 4);

    [Fact]
    public async Task A_closing_leader_is_asked_again_until_the_next_one_answers()
    {
        var grain = ScriptedWait.Create(KafkaErrorCode.LeaderNotAvailable, KafkaErrorCode.LeaderNotAvailable, KafkaErrorCode.None);
        Assert.Equal(KafkaErrorCode.None, await ProduceHandler.AwaitReplicationAsync(grain, Guid.NewGuid(), Appended, TimeSpan.FromSeconds(5)));
        Assert.Equal(3, ScriptedWait.Calls(grain));
    }

    [Fact]
    public async Task A_dead_silo_or_an_election_in_progress_is_asked_again()
    {
        var grain = ScriptedWait.Create(new SiloUnavailableException(), PartitionUnavailableException.For("t/0", 1), KafkaErrorCode.None);
        Assert.Equal(KafkaErrorCode.None, await ProduceHandler.AwaitReplicationAsync(grain, Guid.NewGuid(), Appended, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Without_a_leader_until_the_deadline_the_answer_is_request_timed_out()
    {
        var grain = ScriptedWait.Create(Enumerable.Repeat<object>(KafkaErrorCode.LeaderNotAvailable, 1000).ToArray());
        Assert.Equal(KafkaErrorCode.RequestTimedOut, await ProduceHandler.AwaitReplicationAsync(grain, Guid.NewGuid(), Appended, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task A_leader_that_does_not_hold_the_batch_is_final()
    {
        var grain = ScriptedWait.Create(KafkaErrorCode.NotLeaderOrFollower, KafkaErrorCode.None);
        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, await ProduceHandler.AwaitReplicationAsync(grain, Guid.NewGuid(), Appended, TimeSpan.FromSeconds(5)));
        Assert.Equal(1, ScriptedWait.Calls(grain));
    }

    [Fact]
    public async Task A_slice_that_times_out_is_followed_by_another_until_the_deadline()
    {
        var grain = ScriptedWait.Create(KafkaErrorCode.RequestTimedOut, KafkaErrorCode.RequestTimedOut, KafkaErrorCode.NotEnoughReplicasAfterAppend);
        Assert.Equal(KafkaErrorCode.NotEnoughReplicasAfterAppend, await ProduceHandler.AwaitReplicationAsync(grain, Guid.NewGuid(), Appended, TimeSpan.FromSeconds(10)));
    }

    /// <summary>A partition grain whose AwaitReplication answers (or throws) from a script; nothing else is called.</summary>
    public class ScriptedWait : DispatchProxy
    {
        private readonly Queue<object> _script = new();
        private int _calls;

        public static IPartitionGrain Create(params object[] script)
        {
            var grain = DispatchProxy.Create<IPartitionGrain, ScriptedWait>();
            foreach (var step in script) ((ScriptedWait)(object)grain)._script.Enqueue(step);
            return grain;
        }

        public static int Calls(IPartitionGrain grain) => ((ScriptedWait)(object)grain)._calls;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            Assert.Equal(nameof(IPartitionGrain.AwaitReplication), targetMethod?.Name);
            Assert.Equal(11L, args![1]);
            Assert.Equal(4, args[2]);
            _calls++;
            return _script.Dequeue() switch
            {
                KafkaErrorCode code => Task.FromResult(code),
                Exception ex => Task.FromException<KafkaErrorCode>(ex),
                var other => throw new InvalidOperationException($"bad script step {other}"),
            };
        }
    }
}
