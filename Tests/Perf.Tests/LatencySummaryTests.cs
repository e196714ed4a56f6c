namespace Orleans.Kafka.Perf.Tests;

public class LatencySummaryTests
{
    [Fact]
    public void Percentiles_of_one_to_a_thousand_are_nearest_rank()
    {
        // Shuffled so the summary has to sort.
        var samples = Enumerable.Range(1, 1000).Select(i => (double)i).OrderBy(i => (i * 7919) % 1000).ToArray();

        var summary = LatencySummary.FromMilliseconds(samples);

        Assert.Equal(1000, summary.Count);
        Assert.Equal(500.5, summary.Average, precision: 9);
        Assert.Equal(500, summary.P50);
        Assert.Equal(990, summary.P99);
        Assert.Equal(999, summary.P999);
        Assert.Equal(1000, summary.Max);
    }

    [Fact]
    public void A_single_outlier_in_a_thousand_shows_at_max_but_not_at_p99_9()
    {
        var samples = Enumerable.Repeat(2.0, 999).Append(250.0).ToArray();

        var summary = LatencySummary.FromMilliseconds(samples);

        Assert.Equal(2, summary.P99);
        Assert.Equal(2, summary.P999);
        Assert.Equal(250, summary.Max);
    }

    [Fact]
    public void Recorder_converts_stopwatch_ticks_to_milliseconds()
    {
        var recorder = new LatencyRecorder(capacity: 2);
        recorder.Record(System.Diagnostics.Stopwatch.Frequency / 1000); // 1 ms
        recorder.Record(System.Diagnostics.Stopwatch.Frequency / 100);  // 10 ms

        var summary = recorder.Summarise();

        Assert.Equal(2, summary.Count);
        Assert.Equal(1, summary.P50, precision: 6);
        Assert.Equal(10, summary.Max, precision: 6);
    }
}
