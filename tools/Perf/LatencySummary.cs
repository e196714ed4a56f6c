namespace Orleans.Kafka.Perf;

/// <summary>Latency figures in milliseconds.</summary>
internal sealed record LatencySummary(int Count, double Average, double P50, double P99, double P999, double Max)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0, 0);

    /// <summary>Sorts the samples (in place) and takes nearest-rank percentiles.</summary>
    public static LatencySummary FromMilliseconds(double[] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Length == 0)
        {
            return Empty;
        }

        Array.Sort(samples);
        var sum = 0.0;
        foreach (var sample in samples)
        {
            sum += sample;
        }

        return new LatencySummary(
            samples.Length,
            sum / samples.Length,
            Percentile(samples, 50),
            Percentile(samples, 99),
            Percentile(samples, 99.9),
            samples[^1]);
    }

    /// <summary>
    /// Nearest-rank percentile of sorted data: the smallest sample with at least
    /// <paramref name="percent"/>% of the samples at or below it (what Kafka's perf tool reports).
    /// </summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percent)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(percent, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        // Rounded before the ceiling so 99.9% of 1000 is rank 999, not 1000 by a binary-fraction hair.
        var rank = (int)Math.Ceiling(Math.Round(percent * sorted.Count / 100.0, 6));
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }
}
