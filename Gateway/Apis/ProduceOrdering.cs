namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// Keeps a connection's produce requests in order. Kafka handles one request per connection at a time, so a client
/// that pipelines produce requests (librdkafka does, and acks=0 never waits) sees its batches appended in send order.
/// The gateway runs a connection's requests concurrently, so each produce request here waits until the previous one on
/// its connection has finished its appends before issuing its own partition calls. Waiting for the calls to be merely
/// issued is not enough: Orleans does not keep two calls to one grain in order while it is still locating the grain.
/// </summary>
internal sealed class ProduceOrdering
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Sequence> _connections = new(StringComparer.Ordinal);

    /// <summary>
    /// Called synchronously in request order (the connection invokes handlers in the order requests arrive). Returns the
    /// task to await before issuing calls; pass the returned turn to <see cref="Exit"/> once they have completed.
    /// </summary>
    public (Task Previous, TaskCompletionSource Turn) Enter(string connectionId)
    {
        var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var sequence))
            {
                sequence = new Sequence();
                _connections[connectionId] = sequence;
            }

            var previous = sequence.Tail;
            sequence.Tail = turn.Task;
            sequence.Active++;
            return (previous, turn);
        }
    }

    /// <summary>Lets the next request on the connection go; forgets the connection once none is in flight.</summary>
    public void Exit(string connectionId, TaskCompletionSource turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        lock (_gate)
        {
            if (_connections.TryGetValue(connectionId, out var sequence) && --sequence.Active == 0)
            {
                _connections.Remove(connectionId);
            }
        }

        turn.TrySetResult();
    }

    /// <summary>Connections with a produce request in flight (tests).</summary>
    internal int TrackedConnections
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    private sealed class Sequence
    {
        public Task Tail { get; set; } = Task.CompletedTask;

        public int Active { get; set; }
    }
}
