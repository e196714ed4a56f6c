using System.Buffers;
using System.Text;
using Orleans.Kafka.Storage.Compression;
using ZstdSharp;

namespace Orleans.Kafka.Storage.Tests.Compression;

public sealed class RecordCompressionTests
{
    public static TheoryData<CompressionType, int, bool> RoundTripCases()
    {
        var data = new TheoryData<CompressionType, int, bool>();
        foreach (var type in AllTypes)
        {
            foreach (var size in new[] { 0, 1, 100, 64 * 1024 + 1, 1024 * 1024, 5 * 1024 * 1024 })
            {
                data.Add(type, size, true);
                data.Add(type, size, false);
            }
        }

        return data;
    }

    private static readonly CompressionType[] AllTypes =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    public static TheoryData<CompressionType> Codecs() =>
        [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Round_trip_restores_the_original_bytes(CompressionType type, int size, bool compressible)
    {
        var raw = TestData.Make(size, compressible, seed: size);

        var compressed = Compress(type, raw);
        var restored = Decompress(type, compressed);

        Assert.Equal(raw.Length, restored.Length);
        Assert.True(raw.AsSpan().SequenceEqual(restored), "decompressed bytes differ from the original");
        if (compressible && size >= 64 * 1024 && type != CompressionType.None)
        {
            Assert.True(compressed.Length < raw.Length / 2, $"{type} did not compress compressible data: {compressed.Length} of {raw.Length}");
        }
    }

    [Theory]
    [InlineData(CompressionType.Gzip, -1)]
    [InlineData(CompressionType.Gzip, 1)]
    [InlineData(CompressionType.Gzip, 9)]
    [InlineData(CompressionType.Lz4, 1)]
    [InlineData(CompressionType.Lz4, 9)]
    [InlineData(CompressionType.Lz4, 17)]
    [InlineData(CompressionType.Zstd, -5)]
    [InlineData(CompressionType.Zstd, 1)]
    [InlineData(CompressionType.Zstd, 19)]
    public void Round_trip_works_at_explicit_levels(CompressionType type, int level)
    {
        var raw = TestData.Make(300_000, compressible: true, seed: level);
        var output = new ArrayBufferWriter<byte>();
        RecordCompression.Compress(type, raw, output, level);

        Assert.Equal(raw, Decompress(type, output.WrittenSpan.ToArray()));
    }

    // Produced by `printf hello | gzip -n`.
    [Fact]
    public void Gzip_decodes_the_gzip_tool_output()
    {
        byte[] vector =
        [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48,
            0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x86, 0xa6, 0x10, 0x36, 0x05, 0x00, 0x00,
            0x00,
        ];
        Assert.Equal("hello", Encoding.ASCII.GetString(Decompress(CompressionType.Gzip, vector)));
    }

    [Fact]
    public void Gzip_decodes_concatenated_members()
    {
        var first = Compress(CompressionType.Gzip, Encoding.ASCII.GetBytes("hello "));
        var second = Compress(CompressionType.Gzip, Encoding.ASCII.GetBytes("world"));

        var restored = Decompress(CompressionType.Gzip, [.. first, .. second]);

        Assert.Equal("hello world", Encoding.ASCII.GetString(restored));
    }

    // Raw snappy of "hello" by the format spec: varint length 5, literal tag (5-1)<<2, the bytes.
    private static readonly byte[] RawSnappyHello = [0x05, 0x10, 0x68, 0x65, 0x6c, 0x6c, 0x6f];

    [Fact]
    public void Snappy_decodes_a_raw_block_as_librdkafka_writes_it()
    {
        Assert.Equal("hello", Encoding.ASCII.GetString(Decompress(CompressionType.Snappy, RawSnappyHello)));
    }

    [Fact]
    public void Snappy_decodes_xerial_framing_as_the_java_client_writes_it()
    {
        byte[] xerial =
        [
            0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, // magic
            0, 0, 0, 1, 0, 0, 0, 1, // version, compatible version
            0, 0, 0, 7, .. RawSnappyHello,
            0, 0, 0, 7, .. RawSnappyHello,
        ];
        Assert.Equal("hellohello", Encoding.ASCII.GetString(Decompress(CompressionType.Snappy, xerial)));
    }

    [Fact]
    public void Snappy_compress_writes_xerial_framing_in_32_KiB_blocks()
    {
        var raw = TestData.Make(100_000, compressible: false, seed: 7);

        var compressed = Compress(CompressionType.Snappy, raw);

        Assert.Equal(new byte[] { 0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1 }, compressed[..16]);
        var blocks = 0;
        for (var pos = 16; pos < compressed.Length; blocks++)
        {
            pos += 4 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(compressed.AsSpan(pos));
        }

        Assert.Equal(4, blocks); // 100,000 bytes in 32 KiB blocks
    }

    // Produced by `printf hello | lz4`: content checksum on, as the lz4 tool and librdkafka may write.
    [Fact]
    public void Lz4_decodes_the_lz4_tool_output_with_content_checksum()
    {
        byte[] vector =
        [
            0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x05, 0x00, 0x00, 0x80, 0x68,
            0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00, 0x00, 0xf9, 0x77, 0x00, 0xfb,
        ];
        Assert.Equal("hello", Encoding.ASCII.GetString(Decompress(CompressionType.Lz4, vector)));
    }

    // Produced by `printf hello | lz4 -B4 --no-frame-crc`: the Java client's frame shape.
    [Fact]
    public void Lz4_decodes_a_frame_shaped_like_the_java_client_writes()
    {
        byte[] vector =
        [
            0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0x05, 0x00, 0x00, 0x80, 0x68,
            0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00, 0x00,
        ];
        Assert.Equal("hello", Encoding.ASCII.GetString(Decompress(CompressionType.Lz4, vector)));
    }

    [Fact]
    public void Lz4_compress_writes_independent_64_KiB_blocks_the_java_client_can_read()
    {
        var compressed = Compress(CompressionType.Lz4, TestData.Make(200_000, compressible: true, seed: 3));

        Assert.Equal(new byte[] { 0x04, 0x22, 0x4d, 0x18 }, compressed[..4]);
        var flg = compressed[4];
        Assert.Equal(0b01, flg >> 6); // version
        Assert.NotEqual(0, flg & 0x20); // block independence: Java decodes each block alone
        Assert.Equal(0, flg & 0x10); // no block checksum
        Assert.Equal(0x40, compressed[5]); // BD: 64 KiB max block size
    }

    // Produced by `printf hello | zstd` (stdin, so the frame has no content size).
    [Fact]
    public void Zstd_decodes_the_zstd_tool_output_without_content_size()
    {
        byte[] vector =
        [
            0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x29, 0x00, 0x00, 0x68, 0x65, 0x6c,
            0x6c, 0x6f, 0xa3, 0x6d, 0x9f, 0x88,
        ];
        Assert.Equal("hello", Encoding.ASCII.GetString(Decompress(CompressionType.Zstd, vector)));
    }

    // Produced by `zstd` on a file: frame with content size and checksum.
    [Fact]
    public void Zstd_decodes_the_zstd_tool_output_with_content_size()
    {
        byte[] vector =
        [
            0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x05, 0x29, 0x00, 0x00, 0x68, 0x65, 0x6c,
            0x6c, 0x6f, 0xa3, 0x6d, 0x9f, 0x88,
        ];
        Assert.Equal("hello", Encoding.ASCII.GetString(Decompress(CompressionType.Zstd, vector)));
    }

    [Fact]
    public void Zstd_decodes_a_large_streamed_frame_without_content_size()
    {
        var raw = TestData.Make(3 * 1024 * 1024, compressible: true, seed: 11);
        using var buffer = new MemoryStream();
        using (var stream = new CompressionStream(buffer, level: 3, leaveOpen: true))
        {
            stream.Write(raw);
        }

        Assert.Equal(raw, Decompress(CompressionType.Zstd, buffer.ToArray()));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Truncated_input_throws_InvalidDataException(CompressionType type)
    {
        var compressed = Compress(type, TestData.Make(150_000, compressible: true, seed: 5));

        // Every cut, from an empty input to one byte short, must be reported as corrupt, except
        // where a cut leaves a shorter valid stream: xerial snappy cut between blocks.
        var cuts = Enumerable.Range(0, 40).Concat(Enumerable.Range(0, 60).Select(i => compressed.Length * i / 60)).Append(compressed.Length - 1);
        foreach (var cut in cuts.Distinct().Except(type == CompressionType.Snappy ? XerialBlockBoundaries(compressed) : []))
        {
            var ex = Record.Exception(() => Decompress(type, compressed[..cut]));
            Assert.True(ex is InvalidDataException, $"{type} cut at {cut} of {compressed.Length}: {ex?.GetType().Name ?? "no exception"}");
        }
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Random_garbage_throws_InvalidDataException(CompressionType type)
    {
        var random = new Random(42);
        for (var i = 0; i < 200; i++)
        {
            var garbage = new byte[random.Next(0, 2000)];
            random.NextBytes(garbage);
            var ex = Record.Exception(() => Decompress(type, garbage));
            Assert.True(ex is InvalidDataException, $"{type} garbage #{i} ({garbage.Length} bytes): {ex?.GetType().Name ?? "no exception"}");
        }
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Corrupted_bytes_never_throw_anything_but_InvalidDataException(CompressionType type)
    {
        var raw = TestData.Make(100_000, compressible: true, seed: 9);
        var compressed = Compress(type, raw);
        var random = new Random(1);
        for (var i = 0; i < 300; i++)
        {
            var corrupt = (byte[])compressed.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                corrupt[random.Next(corrupt.Length)] ^= (byte)random.Next(1, 256);
            }

            // A codec without checksums (lz4 as Kafka writes it, raw snappy) may decode a flipped
            // literal to different bytes: that is not detectable, but any failure must be InvalidDataException.
            var ex = Record.Exception(() => Decompress(type, corrupt, limit: 4 * 1024 * 1024));
            Assert.True(ex is null or InvalidDataException, $"{type} corruption #{i}: {ex}");
        }
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Output_past_the_limit_throws_InvalidDataException(CompressionType type)
    {
        var compressed = Compress(type, new byte[1024 * 1024]); // a small bomb: 1 MiB of zeros

        var ex = Assert.Throws<InvalidDataException>(() => Decompress(type, compressed, limit: 64 * 1024));
        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1024 * 1024, Decompress(type, compressed, limit: 1024 * 1024).Length);
    }

    [Fact]
    public void Snappy_block_declaring_a_huge_length_is_refused_before_allocating()
    {
        // Varint 0xFFFFFFFF0F (4 GiB - 1) followed by nothing useful.
        byte[] bomb = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00];
        Assert.Throws<InvalidDataException>(() => Decompress(CompressionType.Snappy, bomb));
    }

    [Fact]
    public void Unknown_compression_type_throws_InvalidDataException()
    {
        Assert.Throws<InvalidDataException>(() => Decompress((CompressionType)5, [1, 2, 3]));
        Assert.Throws<InvalidDataException>(() => Decompress((CompressionType)7, []));
    }

    [Fact]
    public void Gzip_detects_truncation_of_the_last_of_several_members()
    {
        var first = Compress(CompressionType.Gzip, TestData.Make(50_000, compressible: true, seed: 1));
        var second = Compress(CompressionType.Gzip, TestData.Make(70_000, compressible: true, seed: 2));
        byte[] both = [.. first, .. second];

        Assert.Equal(120_000, Decompress(CompressionType.Gzip, both).Length);
        foreach (var cut in new[] { first.Length + 10, first.Length + second.Length / 2, both.Length - 4, both.Length - 1 })
        {
            Assert.Throws<InvalidDataException>(() => Decompress(CompressionType.Gzip, both[..cut]));
        }
    }

    private static IEnumerable<int> XerialBlockBoundaries(byte[] xerial)
    {
        for (var pos = 16; pos < xerial.Length; pos += 4 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(xerial.AsSpan(pos)))
        {
            yield return pos;
        }
    }

    private static byte[] Compress(CompressionType type, byte[] raw)
    {
        var output = new ArrayBufferWriter<byte>();
        RecordCompression.Compress(type, raw, output);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Decompress(CompressionType type, byte[] compressed, int? limit = null)
    {
        var output = new ArrayBufferWriter<byte>();
        if (limit is { } max)
        {
            RecordCompression.Decompress(type, compressed, output, max);
        }
        else
        {
            RecordCompression.Decompress(type, compressed, output);
        }

        return output.WrittenSpan.ToArray();
    }
}
