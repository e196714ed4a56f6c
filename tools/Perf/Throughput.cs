namespace Orleans.Kafka.Perf;

/// <summary>Records and payload bytes moved in a measured time.</summary>
/// <remarks>
/// MB is 2^20 bytes, as in Kafka's own perf tools, so figures compare directly with theirs.
/// Bytes are payload bytes only (record values), the same bytes the socket baseline pumps,
/// so a ratio against the baseline compares like with like.
/// </remarks>
internal readonly record struct Throughput(long Records, long Bytes, TimeSpan Elapsed)
{
    private const double BytesPerMegabyte = 1024 * 1024;

    public double RecordsPerSecond => Elapsed > TimeSpan.Zero ? Records / Elapsed.TotalSeconds : 0;

    public double MegabytesPerSecond => Elapsed > TimeSpan.Zero ? Bytes / BytesPerMegabyte / Elapsed.TotalSeconds : 0;
}
