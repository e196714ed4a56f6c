using System.Buffers;

namespace Orleans.Kafka.Storage.Compression;

/// <summary>
/// Compresses and decompresses the records section of a record batch in the forms Kafka clients
/// write and read: gzip streams, xerial-framed (Java) or raw (librdkafka) snappy, LZ4 frames and
/// zstd frames.
/// </summary>
public static class RecordCompression
{
    /// <summary>
    /// Upper bound on decompressed output when the caller gives none: a batch is at most
    /// <c>max.message.bytes</c> compressed, and no sane producer inflates past this.
    /// </summary>
    public const int DefaultMaxDecompressedBytes = 256 * 1024 * 1024;

    /// <summary>Decompresses <paramref name="compressed"/> into <paramref name="output"/>.</summary>
    /// <exception cref="InvalidDataException">The input is corrupt, truncated, of an unknown codec,
    /// or inflates past <see cref="DefaultMaxDecompressedBytes"/>.</exception>
    public static void Decompress(CompressionType type, ReadOnlySpan<byte> compressed, IBufferWriter<byte> output) =>
        Decompress(type, compressed, output, DefaultMaxDecompressedBytes);

    /// <summary>
    /// Decompresses <paramref name="compressed"/> into <paramref name="output"/>, failing once the
    /// output would exceed <paramref name="maxDecompressedBytes"/> (decompression-bomb guard).
    /// </summary>
    /// <exception cref="InvalidDataException">The input is corrupt, truncated, of an unknown codec,
    /// or inflates past the limit. Bytes may already have been written to <paramref name="output"/>.</exception>
    public static void Decompress(CompressionType type, ReadOnlySpan<byte> compressed, IBufferWriter<byte> output, int maxDecompressedBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDecompressedBytes);
        var sink = new BoundedOutput(output, maxDecompressedBytes);
        try
        {
            switch (type)
            {
                case CompressionType.None:
                    sink.Write(compressed);
                    break;
                case CompressionType.Gzip:
                    GzipCodec.Decompress(compressed, sink);
                    break;
                case CompressionType.Snappy:
                    SnappyCodec.Decompress(compressed, sink);
                    break;
                case CompressionType.Lz4:
                    Lz4Codec.Decompress(compressed, sink);
                    break;
                case CompressionType.Zstd:
                    ZstdCodec.Decompress(compressed, sink);
                    break;
                default:
                    throw new InvalidDataException($"Unsupported compression type {(byte)type}.");
            }
        }
        catch (Exception ex) when (IsCodecFailure(ex))
        {
            // The codec libraries report corrupt input with a mix of exception types; callers
            // (the log, the broker) only need to know "this batch is corrupt".
            throw new InvalidDataException($"Corrupt {type} compressed data: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Compresses <paramref name="raw"/> into <paramref name="output"/> in the form the Java client
    /// writes. <paramref name="level"/> is the codec's own level, as in Kafka's
    /// <c>compression.{gzip,lz4,zstd}.level</c>: gzip -1 (default 6) or 1-9; lz4 below 3 is fast mode,
    /// 3-12 the HC levels (higher is capped at 12); zstd its usual range (default 3). Null means the
    /// codec default (lz4: fast mode, as librdkafka). Snappy has no levels and ignores it.
    /// </summary>
    public static void Compress(CompressionType type, ReadOnlySpan<byte> raw, IBufferWriter<byte> output, int? level = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (type)
        {
            case CompressionType.None:
                raw.CopyTo(output.GetSpan(raw.Length));
                output.Advance(raw.Length);
                break;
            case CompressionType.Gzip:
                GzipCodec.Compress(raw, output, level);
                break;
            case CompressionType.Snappy:
                SnappyCodec.Compress(raw, output);
                break;
            case CompressionType.Lz4:
                Lz4Codec.Compress(raw, output, level);
                break;
            case CompressionType.Zstd:
                ZstdCodec.Compress(raw, output, level);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported compression type.");
        }
    }

    // InvalidDataException itself passes through unwrapped (ours and the codecs' own).
    private static bool IsCodecFailure(Exception ex) => ex is
        IOException
        or ArgumentException
        or IndexOutOfRangeException
        or InvalidOperationException
        or OverflowException
        or NotSupportedException
        or ZstdSharp.ZstdException;
}
