using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Orleans.Kafka.Storage.Compression;

/// <summary>
/// Kafka's gzip: a standard gzip stream (RFC 1952). Clients write one member; concatenated
/// members are legal gzip and Java's reader accepts them, so they decode too.
/// </summary>
/// <remarks>
/// <see cref="GZipStream"/> checks each member's CRC when the trailer is there but treats an
/// input that ends mid-member as a clean end of stream. A truncated batch must not decode to a
/// silently shortened one, so the last member's trailer (CRC-32 and size of its output, which is
/// the tail of the whole output) is verified here.
/// </remarks>
internal static class GzipCodec
{
    private const int TrailerLength = 8;

    private const int DefaultLevel = 6;

    // What gzip(1) writes for empty input: header, an empty final stored block, zero CRC and size.
    // GZipStream writes nothing at all for empty input, which is not a gzip stream.
    private static ReadOnlySpan<byte> EmptyMember =>
    [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
        0x03, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    public static unsafe void Decompress(ReadOnlySpan<byte> compressed, BoundedOutput sink)
    {
        if (compressed.Length < 18 || compressed[0] != 0x1f || compressed[1] != 0x8b)
        {
            // Header (10) + the shortest deflate data (2) + trailer (8) minus slack: anything
            // shorter, or without the magic, is not gzip.
            throw new InvalidDataException("Not a gzip stream.");
        }

        var trailer = compressed[^TrailerLength..];
        var expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        var expectedSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        var start = sink.Written;
        var crc = new Crc32();
        fixed (byte* p = compressed)
        {
            using var source = new UnmanagedMemoryStream(p, compressed.Length);
            using var gzip = new GZipStream(source, CompressionMode.Decompress);
            sink.CopyFrom(gzip, crc);
        }

        var total = sink.Written - start;
        if (total == expectedSize && crc.GetCurrentHashAsUInt32() == expectedCrc)
        {
            return; // the common case: one member, complete
        }

        // Several members, or truncated. The last member's output is the final ISIZE bytes
        // (the sink's limit keeps totals far below 4 GiB, so ISIZE is exact).
        if (expectedSize > total || !LastMemberMatches(compressed, total - expectedSize, expectedCrc))
        {
            throw new InvalidDataException("Gzip stream is truncated: its last member's trailer does not match its data.");
        }
    }

    public static void Compress(ReadOnlySpan<byte> raw, IBufferWriter<byte> output, int? level)
    {
        if (raw.IsEmpty)
        {
            EmptyMember.CopyTo(output.GetSpan(EmptyMember.Length));
            output.Advance(EmptyMember.Length);
            return;
        }

        using var target = new BufferWriterStream(output);
        // Kafka's compression.gzip.level: -1 (zlib's default, 6) or 1..9.
        var zlibLevel = level is null or < 1 ? DefaultLevel : Math.Min(level.Value, 9);
        var options = new ZLibCompressionOptions { CompressionLevel = zlibLevel };
        using var gzip = new GZipStream(target, options, leaveOpen: true);
        gzip.Write(raw);
    }

    // Second pass, only for multi-member (or corrupt) input: hash the output past the skip point.
    private static unsafe bool LastMemberMatches(ReadOnlySpan<byte> compressed, long skip, uint expectedCrc)
    {
        var crc = new Crc32();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            fixed (byte* p = compressed)
            {
                using var source = new UnmanagedMemoryStream(p, compressed.Length);
                using var gzip = new GZipStream(source, CompressionMode.Decompress);
                long position = 0;
                int read;
                while ((read = gzip.Read(buffer)) > 0)
                {
                    var from = (int)Math.Clamp(skip - position, 0, read);
                    crc.Append(buffer.AsSpan(from, read - from));
                    position += read;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return crc.GetCurrentHashAsUInt32() == expectedCrc;
    }
}
