using System.Runtime.CompilerServices;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// Keeps a connection's produce requests in order. Kafka handles one request per connection at a time, so a client
/// that pipelines produce requests (librdkafka does, and acks=0 never waits) sees its batches appended in send order.
/// The gateway runs a connection's requests concurrently, so each produce request here waits until the previous one on
/// its connection has had its partition calls answered before issuing its own: Orleans does not promise that two calls
/// from one sender to one grain arrive in the order issued (not while the grain's address is still being resolved).
/// </summary>
internal sealed class ProduceOrdering
{
    // Keyed by the connection's id string (one instance per connection): the entry goes when the connection does.
    private readonly ConditionalWeakTable<string, Sequence> _connections = [];

    /// <summary>
    /// Called synchronously in request order (the connection invokes handlers in the order requests arrive). Returns the
    /// task to await before issuing calls and the turn to complete once they are answered.
    /// </summary>
    public (Task Previous, TaskCompletionSource Turn) Enter(string connectionId)
    {
        var sequence = _connections.GetValue(connectionId, _ => new Sequence());
        var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (sequence)
        {
            var previous = sequence.Tail;
            sequence.Tail = turn.Task;
            return (previous, turn);
        }
    }

    private sealed class Sequence
    {
        public Task Tail { get; set; } = Task.CompletedTask;
    }
}
