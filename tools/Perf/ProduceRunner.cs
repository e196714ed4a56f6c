using System.Diagnostics;
using Confluent.Kafka;

namespace Orleans.Kafka.Perf;

/// <summary>What a produce run measured.</summary>
internal sealed record ProduceResult(
    Throughput Throughput,
    LatencySummary Latency,
    long Sent,
    long Errors,
    string? FirstError,
    bool TimedOut);

/// <summary>
/// Produces records as fast as the client accepts them. <c>ProduceAsync</c> costs a task per
/// record, so this uses <c>Produce</c> with a delivery handler and measures each record's latency
/// from the moment the client accepted it to its delivery report, with Stopwatch timestamps.
/// Throughput runs from the first send to the last delivery report and counts delivered records only.
/// </summary>
internal sealed class ProduceRunner : IDisposable
{
    private static readonly TimeSpan QueueFullWait = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MessageTimeoutMargin = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FlushSlice = TimeSpan.FromMilliseconds(100);

    /// <summary>After a timeout, how long outstanding records may still report before we give up on them.</summary>
    private static readonly TimeSpan TimedOutGrace = TimeSpan.FromSeconds(2);

    private readonly ProduceSettings settings;
    private readonly LatencyRecorder latencies;
    private readonly ManualResetEventSlim room = new(initialState: false);
    private long delivered;
    private long errors;
    private long lastDeliveryTimestamp;
    private int producerWaiting;
    private string? firstError;

    public ProduceRunner(ProduceSettings settings)
    {
        this.settings = settings ?? throw new ArgumentNullException(nameof(settings));
        latencies = new LatencyRecorder(settings.Records);
    }

    /// <summary>Delivery reports seen so far (successful or not): what the progress display shows.</summary>
    public long Completed => Interlocked.Read(ref delivered) + Interlocked.Read(ref errors);

    public static ProducerConfig ClientConfig(ProduceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ProducerConfig
        {
            BootstrapServers = settings.Bootstrap,
            Acks = settings.Acks,
            CompressionType = settings.Compression,
            LingerMs = settings.LingerMs,
            BatchSize = settings.BatchSize,
            // Batches up to batch.size must fit a request; librdkafka bounds batches by message.max.bytes too.
            MessageMaxBytes = Math.Max(settings.BatchSize + 4096, 1_000_000),
            // A deep local queue keeps the sender busy; back-pressure still comes from QUEUE_FULL.
            QueueBufferingMaxMessages = 1_000_000,
            QueueBufferingMaxKbytes = 1_048_576,
            // Plain produce, as kafka-producer-perf-test does by default.
            EnableIdempotence = false,
            // Java clients always set TCP_NODELAY; match them so latency is not Nagle's.
            SocketNagleDisable = true,
            // The handler only needs the outcome; skipping key/value marshalling keeps reports cheap.
            DeliveryReportFields = "status",
            // Outlive the run's own timeout, so a run that cannot finish ends by --timeout (and says
            // so) rather than by every record expiring in the client just before it.
            MessageTimeoutMs = (int)Math.Min(settings.Timeout.TotalMilliseconds + MessageTimeoutMargin.TotalMilliseconds, int.MaxValue),
        };
    }

    public void Dispose() => room.Dispose();

    public Task<ProduceResult> RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(
            () => Run(cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    private ProduceResult Run(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        var token = timeout.Token;

        var producer = new ProducerBuilder<Null, byte[]>(ClientConfig(settings))
            .SetErrorHandler((_, error) => NoteError(error))
            // librdkafka's log lines would tear through the progress display; the error handler
            // above already keeps the first error for the report.
            .SetLogHandler((_, _) => { })
            .Build();
        var message = new Message<Null, byte[]> { Value = Payload.Create(settings.RecordSize) };
        var started = Stopwatch.GetTimestamp();
        Volatile.Write(ref lastDeliveryTimestamp, started);
        var sent = 0L;
        try
        {
            while (sent < settings.Records && !token.IsCancellationRequested)
            {
                if (TrySend(producer, message))
                {
                    sent++;
                }
                else
                {
                    WaitForRoom(token);
                }
            }

            while (Completed < sent && !token.IsCancellationRequested)
            {
                producer.Flush(FlushSlice);
            }

            if (token.IsCancellationRequested)
            {
                producer.Flush(TimedOutGrace);
            }
        }
        finally
        {
            DisposeBounded(producer);
        }

        var ok = Interlocked.Read(ref delivered);
        var elapsed = Stopwatch.GetElapsedTime(started, Volatile.Read(ref lastDeliveryTimestamp));
        return new ProduceResult(
            new Throughput(ok, ok * settings.RecordSize, elapsed),
            latencies.Summarise(),
            sent,
            Interlocked.Read(ref errors) + (sent - Completed),
            Volatile.Read(ref firstError),
            timeout.IsCancellationRequested);
    }

    private bool TrySend(IProducer<Null, byte[]> producer, Message<Null, byte[]> message)
    {
        var sentAt = Stopwatch.GetTimestamp();
        try
        {
            // librdkafka copies the value, so one Message object serves every record.
            producer.Produce(settings.Topic, message, report => OnDelivery(report, sentAt));
            return true;
        }
        catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
        {
            return false;
        }
    }

    private void OnDelivery(DeliveryReport<Null, byte[]> report, long sentAt)
    {
        var now = Stopwatch.GetTimestamp();
        if (report.Error.IsError)
        {
            NoteError(report.Error);
            Interlocked.Increment(ref errors);
        }
        else
        {
            latencies.Record(now - sentAt);
            Interlocked.Increment(ref delivered);
        }

        Volatile.Write(ref lastDeliveryTimestamp, now);
        if (Volatile.Read(ref producerWaiting) == 1)
        {
            room.Set();
        }
    }

    /// <summary>The local queue is full: wait until a delivery report frees a slot (or briefly, whichever first).</summary>
    private void WaitForRoom(CancellationToken token)
    {
        room.Reset();
        Volatile.Write(ref producerWaiting, 1);
        try
        {
            room.Wait(QueueFullWait, token);
        }
        catch (OperationCanceledException)
        {
            // The run's timeout: the send loop sees it and stops.
        }
        finally
        {
            Volatile.Write(ref producerWaiting, 0);
        }
    }

    private void NoteError(Error error) =>
        Interlocked.CompareExchange(ref firstError, $"{error.Code}: {error.Reason}", null);

    /// <summary>
    /// Disposing a producer with records still in flight can wait on broker I/O; after a timeout the
    /// tool must still report, so disposal gets a bounded wait and is otherwise left to finish alone.
    /// </summary>
    private static void DisposeBounded(IProducer<Null, byte[]> producer)
    {
        var disposal = Task.Run(producer.Dispose);
        disposal.Wait(TimeSpan.FromSeconds(5));
    }
}
