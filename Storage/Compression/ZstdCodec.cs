using System.Buffers;
using ZstdSharp;

namespace Orleans.Kafka.Storage.Compression;

/// <summary>
/// Kafka's zstd: standard zstd frames. Decoding streams, because producers (the Java client in
/// particular) write frames without a content size.
/// </summary>
internal static class ZstdCodec
{
    private const int DefaultLevel = 3;

    public static unsafe void Decompress(ReadOnlySpan<byte> compressed, BoundedOutput sink)
    {
        if (compressed.Length < 9)
        {
            // Magic (4) + the smallest frame header and an empty last block.
            throw new InvalidDataException("Zstd data is shorter than a frame.");
        }

        fixed (byte* p = compressed)
        {
            using var source = new UnmanagedMemoryStream(p, compressed.Length);
            using var decoder = new DecompressionStream(source, leaveOpen: true);
            sink.CopyFrom(decoder);
        }
    }

    public static void Compress(ReadOnlySpan<byte> raw, IBufferWriter<byte> output, int? level)
    {
        using var compressor = new Compressor(Math.Clamp(level ?? DefaultLevel, Compressor.MinCompressionLevel, Compressor.MaxCompressionLevel));
        var bound = Compressor.GetCompressBound(raw.Length);
        var written = compressor.Wrap(raw, output.GetSpan(bound));
        output.Advance(written);
    }
}
