using System.Diagnostics;
using Confluent.Kafka;

namespace Orleans.Kafka.Perf;

/// <summary>What a consume run measured.</summary>
/// <param name="Throughput">Records and payload bytes from the first record to the last.</param>
/// <param name="TimeToFirstRecord">From starting the consumer (subscribe/assign) to the first record: join, metadata, first fetch.</param>
/// <param name="Total">Everything, start to last record, as an end-to-end figure.</param>
internal sealed record ConsumeResult(
    Throughput Throughput,
    TimeSpan TimeToFirstRecord,
    TimeSpan Total,
    long Errors,
    string? FirstError,
    bool TimedOut);

/// <summary>
/// Reads N records from the beginning of a topic: with a group it subscribes and rewinds every
/// assigned partition to the beginning (so reruns with the same group still read from the start);
/// without one it assigns every partition at the beginning directly, needing no group support.
/// </summary>
internal sealed class ConsumeRunner(ConsumeSettings settings)
{
    private static readonly TimeSpan PollSlice = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(10);

    private long consumed;

    /// <summary>Records consumed so far: what the progress display shows.</summary>
    public long Completed => Interlocked.Read(ref consumed);

    public static ConsumerConfig ClientConfig(ConsumeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ConsumerConfig
        {
            BootstrapServers = settings.Bootstrap,
            // The client insists on a group id; a throwaway one is never joined when partitions are assigned.
            GroupId = settings.Group ?? $"perf-assign-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = false,
            FetchMaxBytes = 52_428_800,
            MaxPartitionFetchBytes = 1_048_576,
            SocketNagleDisable = true,
        };
    }

    public Task<ConsumeResult> RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(
            () => Run(cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    private ConsumeResult Run(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        var token = timeout.Token;

        var errors = 0L;
        string? firstError = null;
        var bytes = 0L;
        var started = Stopwatch.GetTimestamp();
        long? firstAt = null;
        var lastAt = started;

        var consumer = new ConsumerBuilder<Ignore, byte[]>(ClientConfig(settings))
            .SetErrorHandler((_, error) => firstError ??= $"{error.Code}: {error.Reason}")
            // Log lines would tear through the progress display; errors reach the handler above.
            .SetLogHandler((_, _) => { })
            .SetPartitionsAssignedHandler((_, partitions) =>
                partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)))
            .Build();
        try
        {
            if (settings.Group is null)
            {
                consumer.Assign(TopicSetup.Partitions(settings.Bootstrap, settings.Topic, settings.Timeout)
                    .Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
            }
            else
            {
                consumer.Subscribe(settings.Topic);
            }

            while (Completed < settings.Records && !token.IsCancellationRequested)
            {
                ConsumeResult<Ignore, byte[]>? record;
                try
                {
                    record = consumer.Consume(PollSlice);
                }
                catch (ConsumeException e)
                {
                    errors++;
                    firstError ??= $"{e.Error.Code}: {e.Error.Reason}";
                    if (e.Error.IsFatal)
                    {
                        break;
                    }

                    continue;
                }

                if (record?.Message is null)
                {
                    continue;
                }

                lastAt = Stopwatch.GetTimestamp();
                firstAt ??= lastAt;
                bytes += record.Message.Value?.Length ?? 0;
                Interlocked.Increment(ref consumed);
            }
        }
        finally
        {
            CloseBounded(consumer);
        }

        var count = Completed;
        var fromFirst = firstAt is { } first ? Stopwatch.GetElapsedTime(first, lastAt) : TimeSpan.Zero;
        return new ConsumeResult(
            new Throughput(count, bytes, fromFirst),
            firstAt is { } f ? Stopwatch.GetElapsedTime(started, f) : TimeSpan.Zero,
            Stopwatch.GetElapsedTime(started, lastAt),
            errors,
            firstError,
            timeout.IsCancellationRequested);
    }

    /// <summary>
    /// Leaving a group talks to the coordinator, which may be the thing that is broken; the report
    /// must still come out, so closing gets a bounded wait and is otherwise left to finish alone.
    /// </summary>
    private static void CloseBounded(IConsumer<Ignore, byte[]> consumer)
    {
        var closing = Task.Run(() =>
        {
            consumer.Close();
            consumer.Dispose();
        });
        closing.Wait(CloseWait);
    }
}
