namespace Orleans.Kafka.Perf.Tests;

public class SocketBaselineTests
{
    [Theory]
    [InlineData(10_000, 100, 1_048_576)]
    [InlineData(3_001, 1_024, 65_536)] // not a whole number of chunks
    public async Task Baseline_pumps_exactly_the_requested_bytes(long records, int recordSize, int chunkSize)
    {
        var settings = new BaselineSettings(records, recordSize, chunkSize, TimeSpan.FromSeconds(30));

        var result = await SocketBaseline.RunAsync(settings, CancellationToken.None);

        Assert.False(result.TimedOut);
        Assert.Equal(records * recordSize, result.BytesSent);
        Assert.Equal(records * recordSize, result.BytesReceived);
        Assert.Equal(records, result.Throughput.Records);
        Assert.True(result.Throughput.MegabytesPerSecond > 0);
    }

    [Fact]
    public void Suite_median_takes_the_middle_run()
    {
        Assert.Equal(5, SuiteCellSummary.Median([9, 1, 5]));
        Assert.Equal(3, SuiteCellSummary.Median([1, 5]));
        Assert.Equal(0, SuiteCellSummary.Median([]));
    }
}
