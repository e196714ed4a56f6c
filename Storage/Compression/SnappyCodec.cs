using System.Buffers;
using System.Buffers.Binary;
using Snappier;

namespace Orleans.Kafka.Storage.Compression;

/// <summary>
/// Kafka's snappy comes in two shapes: the Java client writes snappy-java's "xerial" framing
/// (magic header, two version ints, then big-endian int32 length-prefixed raw snappy blocks);
/// librdkafka may write a single raw snappy block. Both decode here; we write xerial, which
/// every client reads.
/// </summary>
internal static class SnappyCodec
{
    // 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
    private static ReadOnlySpan<byte> XerialMagic => [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00];

    private const int XerialHeaderLength = 16;

    private const int XerialVersion = 1;

    private const int XerialCompatibleVersion = 1;

    // snappy-java's default block size.
    private const int XerialBlockSize = 32 * 1024;

    public static void Decompress(ReadOnlySpan<byte> compressed, BoundedOutput sink)
    {
        if (compressed.Length >= XerialHeaderLength && compressed[..XerialMagic.Length].SequenceEqual(XerialMagic))
        {
            DecompressXerial(compressed[XerialHeaderLength..], sink);
        }
        else
        {
            DecompressBlock(compressed, sink);
        }
    }

    public static void Compress(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        var header = output.GetSpan(XerialHeaderLength);
        XerialMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], XerialVersion);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], XerialCompatibleVersion);
        output.Advance(XerialHeaderLength);

        while (!raw.IsEmpty)
        {
            var block = raw[..Math.Min(XerialBlockSize, raw.Length)];
            raw = raw[block.Length..];
            var span = output.GetSpan(4 + Snappy.GetMaxCompressedLength(block.Length));
            var length = Snappy.Compress(block, span[4..]);
            BinaryPrimitives.WriteInt32BigEndian(span, length);
            output.Advance(4 + length);
        }
    }

    private static void DecompressXerial(ReadOnlySpan<byte> blocks, BoundedOutput sink)
    {
        while (!blocks.IsEmpty)
        {
            if (blocks.Length < 4)
            {
                throw new InvalidDataException("Truncated xerial snappy block length.");
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(blocks);
            if (length <= 0 || length > blocks.Length - 4)
            {
                throw new InvalidDataException($"Xerial snappy block length {length} does not fit the remaining {blocks.Length - 4} bytes.");
            }

            DecompressBlock(blocks.Slice(4, length), sink);
            blocks = blocks[(4 + length)..];
        }
    }

    private static void DecompressBlock(ReadOnlySpan<byte> block, BoundedOutput sink)
    {
        if (block.IsEmpty)
        {
            throw new InvalidDataException("Empty snappy block.");
        }

        var length = Snappy.GetUncompressedLength(block);
        if (length < 0 || length > sink.Remaining)
        {
            throw new InvalidDataException(
                $"Snappy block declares {length} bytes, more than the {sink.Remaining} left under the limit.");
        }

        var target = sink.GetSpan(length);
        var written = Snappy.Decompress(block, target);
        if (written != length)
        {
            throw new InvalidDataException($"Snappy block declared {length} bytes but produced {written}.");
        }

        sink.Advance(written);
    }
}
