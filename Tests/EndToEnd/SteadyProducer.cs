using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace Orleans.Kafka.EndToEnd;

// Inside the namespace so it wins over Orleans.ErrorCode.
using ErrorCode = Confluent.Kafka.ErrorCode;

/// <summary>
/// Produces numbered records ("0", "1", ...) from a background loop until stopped or a total is reached,
/// keeping every delivery report, so a test can interrupt the broker while records are in flight.
/// </summary>
internal sealed class SteadyProducer : IAsyncDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly string _topic;
    private readonly int _total;
    private readonly List<DeliveryReport<byte[], byte[]>> _reports = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _sent;

    public SteadyProducer(ProducerConfig config, string topic, int total)
    {
        _producer = KafkaClients.Producer(config);
        _topic = topic;
        _total = total;
        _loop = Task.Run(Loop);
    }

    public int Sent => Volatile.Read(ref _sent);

    public int Acknowledged { get { lock (_reports) { return _reports.Count(r => !r.Error.IsError); } } }

    public int Reported { get { lock (_reports) { return _reports.Count; } } }

    public List<DeliveryReport<byte[], byte[]>> Reports { get { lock (_reports) { return [.. _reports]; } } }

    public static int Number(Message<byte[], byte[]> message) =>
        int.Parse(Encoding.UTF8.GetString(message.Value), CultureInfo.InvariantCulture);

    /// <summary>Stops sending new records (those already sent stay queued in the client).</summary>
    public async Task StopSendingAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    /// <summary>Waits until every record sent so far has a delivery report.</summary>
    public Task<int> FlushAsync(TimeSpan timeout) => Task.Run(() => _producer.Flush(timeout));

    /// <summary>Sends until the total is reached (waits for the loop to get there).</summary>
    public Task Completion => _loop;

    private void Loop()
    {
        for (var n = 0; n < _total && !_stop.IsCancellationRequested; n++)
        {
            var message = new Message<byte[], byte[]>
            {
                Key = Encoding.UTF8.GetBytes($"key-{n % 97}"),
                Value = Encoding.UTF8.GetBytes(n.ToString(CultureInfo.InvariantCulture)),
            };
            while (true)
            {
                try
                {
                    _producer.Produce(_topic, message, Record);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    // The client's queue is full while the broker is away: give it time to drain.
                    _producer.Poll(TimeSpan.FromMilliseconds(50));
                    if (_stop.IsCancellationRequested) return;
                }
            }

            Interlocked.Increment(ref _sent);
            // Pacing, not synchronisation: a modest rate so the broker is interrupted mid-stream rather than after
            // one giant burst; the wait ends at once when the test stops the producer.
            if (n % 500 == 499) _stop.Token.WaitHandle.WaitOne(1);
        }
    }

    private void Record(DeliveryReport<byte[], byte[]> report)
    {
        lock (_reports) { _reports.Add(report); }
    }

    public async ValueTask DisposeAsync()
    {
        await StopSendingAsync();
        _producer.Dispose();
        _stop.Dispose();
    }
}
