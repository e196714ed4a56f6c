namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// A fixed base for record timestamps in tests: a whole second an hour before the test run. Timestamps older than
/// retention.ms (7 days by default) would let the broker's retention delete the records in the middle of a test,
/// exactly as Kafka would.
/// </summary>
internal static class RecentTimestamps
{
    public static readonly long Base = (DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds()) * 1000;
}
