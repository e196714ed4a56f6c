using System.Diagnostics;

namespace Orleans.Kafka.Perf;

/// <summary>
/// Keeps every latency sample (Stopwatch ticks) in a preallocated array, so percentiles are
/// exact rather than bucketed: 8 bytes a record, 8 MB for a million records, is cheap next to
/// the producer's own buffers, and it avoids HDR bucketing error at p99.9.
/// </summary>
/// <remarks>Delivery reports arrive on the client's poll thread; slots are claimed with an
/// interlocked increment so a second reporting thread would also be safe.</remarks>
internal sealed class LatencyRecorder(long capacity)
{
    private readonly long[] samples = new long[checked((int)capacity)];
    private int count;

    public int Count => Volatile.Read(ref count);

    /// <summary>Records one sample; samples beyond the capacity are dropped (never expected).</summary>
    public void Record(long stopwatchTicks)
    {
        var slot = Interlocked.Increment(ref count) - 1;
        if (slot < samples.Length)
        {
            samples[slot] = stopwatchTicks;
        }
    }

    /// <summary>Summarises the samples recorded so far.</summary>
    public LatencySummary Summarise()
    {
        var n = Math.Min(Count, samples.Length);
        var copy = new double[n];
        for (var i = 0; i < n; i++)
        {
            copy[i] = samples[i] * 1000.0 / Stopwatch.Frequency;
        }

        return LatencySummary.FromMilliseconds(copy);
    }
}
