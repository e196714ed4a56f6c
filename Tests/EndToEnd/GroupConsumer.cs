using Confluent.Kafka;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// A subscribed Confluent.Kafka consumer polling on its own thread (librdkafka delivers rebalances through the poll),
/// exposing what it currently owns, what was revoked from it, and what it received.
/// </summary>
internal sealed class GroupConsumer : IAsyncDisposable
{
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly HashSet<int> _owned = [];
    private readonly List<int> _revoked = [];
    private readonly List<ConsumeResult<byte[], byte[]>> _received = [];
    private readonly Task _loop;
    private string? _lastError;

    private GroupConsumer(ConsumerConfig config, string topic, string name)
    {
        Name = name;
        _consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, e) => _lastError = e.ToString())
            .SetPartitionsAssignedHandler((_, partitions) => Update(partitions, assigned: true))
            .SetPartitionsRevokedHandler((_, partitions) => Update(partitions.Select(p => p.TopicPartition), assigned: false))
            .SetPartitionsLostHandler((_, partitions) => Update(partitions.Select(p => p.TopicPartition), assigned: false))
            .Build();
        _consumer.Subscribe(topic);
        _loop = Task.Factory.StartNew(Poll, TaskCreationOptions.LongRunning);
    }

    public string Name { get; }

    public string? LastError => _lastError;

    /// <summary>The partitions this member owns now (as of its last rebalance callback).</summary>
    public IReadOnlySet<int> Owned { get { lock (_gate) { return new HashSet<int>(_owned); } } }

    /// <summary>Every partition revoked from (or lost by) this member since it started or since <see cref="ForgetRevocations"/>.</summary>
    public IReadOnlyList<int> Revoked { get { lock (_gate) { return [.. _revoked]; } } }

    public int ReceivedCount { get { lock (_gate) { return _received.Count; } } }

    public static ConsumerConfig Config(string bootstrap, string groupId, PartitionAssignmentStrategy strategy) => new()
    {
        BootstrapServers = bootstrap,
        GroupId = groupId,
        ClientId = "e2e-group",
        EnableAutoCommit = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        PartitionAssignmentStrategy = strategy,
        SessionTimeoutMs = 6000,
        // Members learn of a rebalance at their next heartbeat: keep that short so tests wait less.
        HeartbeatIntervalMs = 300,
        SocketTimeoutMs = 30000,
    };

    public static GroupConsumer Start(ConsumerConfig config, string topic, string name) => new(config, topic, name);

    public void ForgetRevocations()
    {
        lock (_gate) { _revoked.Clear(); }
    }

    /// <summary>Leaves the group (LeaveGroup) and stops polling.</summary>
    public async Task CloseAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _stop.Dispose();
    }

    public override string ToString() => $"{Name} owns [{string.Join(",", Owned.Order())}]" + (_lastError is null ? "" : $" (last error: {_lastError})");

    private void Poll()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                    if (result is { IsPartitionEOF: false })
                    {
                        lock (_gate) { _received.Add(result); }
                    }
                }
                catch (ConsumeException e)
                {
                    _lastError = e.Error.ToString();
                }
            }

            _consumer.Close();
        }
        finally
        {
            _consumer.Dispose();
        }
    }

    private void Update(IEnumerable<TopicPartition> partitions, bool assigned)
    {
        lock (_gate)
        {
            foreach (var partition in partitions)
            {
                if (assigned)
                {
                    _owned.Add(partition.Partition.Value);
                }
                else
                {
                    _owned.Remove(partition.Partition.Value);
                    _revoked.Add(partition.Partition.Value);
                }
            }
        }
    }
}
