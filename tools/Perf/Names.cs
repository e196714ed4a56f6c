using Confluent.Kafka;

namespace Orleans.Kafka.Perf;

/// <summary>Maps between the command line's spellings and Confluent.Kafka's enums.</summary>
internal static class Names
{
    public static readonly string[] AcksValues = ["0", "1", "all", "-1"];

    public static readonly string[] CompressionValues = ["none", "gzip", "snappy", "lz4", "zstd"];

    public static Acks ParseAcks(string value) => value.ToUpperInvariant() switch
    {
        "0" => Acks.None,
        "1" => Acks.Leader,
        "ALL" or "-1" => Acks.All,
        _ => throw new ArgumentException($"acks must be one of 0, 1, all; got '{value}'.", nameof(value)),
    };

    public static string Format(Acks acks) => acks switch
    {
        Acks.None => "0",
        Acks.Leader => "1",
        Acks.All => "all",
        _ => acks.ToString(),
    };

    public static CompressionType ParseCompression(string value) => value.ToUpperInvariant() switch
    {
        "NONE" => CompressionType.None,
        "GZIP" => CompressionType.Gzip,
        "SNAPPY" => CompressionType.Snappy,
        "LZ4" => CompressionType.Lz4,
        "ZSTD" => CompressionType.Zstd,
        _ => throw new ArgumentException($"compression must be one of none, gzip, snappy, lz4, zstd; got '{value}'.", nameof(value)),
    };
}
