using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace Orleans.Kafka.EndToEnd;

/// <summary>A record the producer sent: its partition and per-partition sequence number (the value carries both).</summary>
internal readonly record struct SequencedValue(int Partition, long Sequence)
{
    public byte[] ToBytes() => Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Partition}:{Sequence:D9}"));

    public static SequencedValue Parse(byte[] value)
    {
        var text = Encoding.ASCII.GetString(value);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return new SequencedValue(
            int.Parse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture),
            long.Parse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture));
    }
}

/// <summary>An acknowledged produce: where the broker said it put the record, when it was handed to the producer and when its delivery report arrived.</summary>
internal readonly record struct AckedRecord(SequencedValue Value, long Offset, TimeSpan SentAt, TimeSpan At);

/// <summary>A produce whose delivery report carried an error (the broker may or may not hold the record).</summary>
internal readonly record struct FailedRecord(SequencedValue Value, Confluent.Kafka.ErrorCode Error, TimeSpan At);

/// <summary>
/// Thread-safe journal of a producer's delivery reports (librdkafka calls them on its own thread), timed against one
/// clock so a test can ask "when was the first acknowledgement on partition p after time t" without polling the broker.
/// </summary>
internal sealed class AckedRecordLog(Stopwatch clock)
{
    private readonly object _gate = new();
    private readonly List<AckedRecord> _acked = [];
    private readonly List<FailedRecord> _failed = [];
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Now on the log's clock.</summary>
    public TimeSpan Now => clock.Elapsed;

    public IReadOnlyList<AckedRecord> Acked { get { lock (_gate) { return [.. _acked]; } } }

    public IReadOnlyList<FailedRecord> Failed { get { lock (_gate) { return [.. _failed]; } } }

    public void OnDelivery(SequencedValue value, TimeSpan sentAt, DeliveryReport<byte[], byte[]> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (report.Error.IsError)
            {
                _failed.Add(new FailedRecord(value, report.Error.Code, clock.Elapsed));
            }
            else
            {
                _acked.Add(new AckedRecord(value, report.Offset.Value, sentAt, clock.Elapsed));
            }

            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    /// <summary>
    /// The first acknowledgement on <paramref name="partition"/> of a record handed to the producer after
    /// <paramref name="since"/>, if any. Acknowledgements of records sent earlier do not count: after a leader's kill
    /// they may be answers the old leader sent just before it died.
    /// </summary>
    public AckedRecord? FirstAckAfter(int partition, TimeSpan since)
    {
        lock (_gate)
        {
            foreach (var record in _acked)
            {
                if (record.Value.Partition == partition && record.SentAt > since) return record;
            }

            return null;
        }
    }

    /// <summary>Waits for <see cref="FirstAckAfter"/>.</summary>
    public async Task<AckedRecord> WaitForAckAfterAsync(int partition, TimeSpan since, TimeSpan timeout)
    {
        var deadline = clock.Elapsed + timeout;
        while (true)
        {
            Task changed;
            lock (_gate) { changed = _changed.Task; }
            if (FirstAckAfter(partition, since) is { } first) return first;
            var remaining = deadline - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no acknowledged produce on partition {partition} within {timeout} after {since.TotalSeconds:F1} s " +
                                           $"(acked {Acked.Count}, failed {Failed.Count}: {string.Join(", ", Failed.Select(f => f.Error).Distinct())})");
            }

            await Task.WhenAny(changed, Task.Delay(remaining));
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
