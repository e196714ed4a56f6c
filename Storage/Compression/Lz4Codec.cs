using System.Buffers;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;

namespace Orleans.Kafka.Storage.Compression;

/// <summary>
/// Kafka's lz4 (record batch v2): one LZ4 frame. The Java client writes independent 64 KiB
/// blocks without checksums and its reader decodes each block on its own, so we write the same.
/// (The broken header checksum of Kafka 0.8-era clients only concerns message format v0/v1.)
/// </summary>
internal static class Lz4Codec
{
    public static unsafe void Decompress(ReadOnlySpan<byte> compressed, BoundedOutput sink)
    {
        if (compressed.Length < 7)
        {
            // Magic (4) + FLG + BD + header checksum: the smallest frame header.
            throw new InvalidDataException("LZ4 data is shorter than a frame header.");
        }

        fixed (byte* p = compressed)
        {
            using var source = new UnmanagedMemoryStream(p, compressed.Length);
            using var decoder = LZ4Stream.Decode(source, extraMemory: 0, leaveOpen: true, interactive: false);
            sink.CopyFrom(decoder);
        }
    }

    public static void Compress(ReadOnlySpan<byte> raw, IBufferWriter<byte> output, int? level)
    {
        var settings = new LZ4EncoderSettings
        {
            ChainBlocks = false,
            BlockSize = 64 * 1024,
            BlockChecksum = false,
            ContentChecksum = false,
            CompressionLevel = ToLevel(level),
        };
        LZ4Frame.Encode(raw, output, settings);
    }

    // null or below 3 is LZ4's fast mode (librdkafka's default); 3..12 are the HC levels.
    private static LZ4Level ToLevel(int? level) => level switch
    {
        null or < 3 => LZ4Level.L00_FAST,
        > 12 => LZ4Level.L12_MAX,
        _ => (LZ4Level)level.Value,
    };
}
