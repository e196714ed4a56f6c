namespace Orleans.Kafka.Storage.Compression;

/// <summary>
/// The codec of a record batch: the value of bits 0-2 of the batch attributes (Kafka's numbering).
/// </summary>
public enum CompressionType : byte
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}
