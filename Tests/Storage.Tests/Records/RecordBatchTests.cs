using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using CsCheck;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Tests.Records;

public class RecordBatchTests
{
    private static readonly Gen<byte[]?> NullableBytes = Gen.Frequency((1, Gen.Const((byte[]?)null)), (6, Gen.Byte.Array[0, 300].Select(b => (byte[]?)b)));

    private static readonly Gen<TestRecord> RecordGen =
        Gen.Select(Gen.Long[0, 2_000_000_000_000], NullableBytes, NullableBytes,
            Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 0, 12], NullableBytes, (k, v) => new KeyValuePair<string, byte[]?>(k, v)).List[0, 3],
            (ts, key, value, headers) => new TestRecord(ts, key, value, headers));

    private static readonly Gen<CompressionType> Codec = Gen.OneOfConst(CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd);

    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
        // Long input exercises the 32-byte and 8-byte steps as well as the byte tail.
        var data = Enumerable.Range(0, 1001).Select(i => (byte)(i * 7)).ToArray();
        var bytewise = ~data.Aggregate(uint.MaxValue, (crc, b) => System.Numerics.BitOperations.Crc32C(crc, b));
        Assert.Equal(bytewise, Crc32C.Compute(data));
    }

    [Fact]
    public void Built_batches_round_trip_every_codec_and_record_shape()
    {
        Gen.Select(Codec, RecordGen.List[1, 40]).Sample((codec, records) =>
        {
            var batch = TestRecords.Batch(codec, records);
            Assert.Equal(BatchError.None, RecordBatch.ValidateRecords(batch, new ArrayBufferWriter<byte>(), out var reason));
            Assert.Null(reason);
            RecordBatchHeader.TryRead(batch, out var header);
            Assert.Equal(codec, header.Compression);
            Assert.Equal(records.Count, header.RecordCount);
            Assert.Equal(records.Count - 1, header.LastOffsetDelta);
            Assert.Equal(records.Max(r => r.Timestamp), header.MaxTimestamp);
            Assert.Equal(batch.Length, header.TotalSize);
            TestRecords.AssertSame(records, TestRecords.Decode(batch));
        }, iter: 150);
    }

    [Fact]
    public void Header_fields_are_read_from_their_positions()
    {
        var builder = new RecordBatchBuilder(CompressionType.Lz4)
        {
            BaseOffset = 42,
            PartitionLeaderEpoch = 7,
            ProducerId = 1234,
            ProducerEpoch = 5,
            BaseSequence = 99,
            IsTransactional = true,
        };
        builder.Add(1000, "k"u8, "v"u8).Add(900, "k2"u8, "v2"u8);
        var batch = builder.Build();

        Assert.Equal(BatchError.None, RecordBatch.Validate(batch, out var h, out _));
        Assert.Equal(42, h.BaseOffset);
        Assert.Equal(7, h.PartitionLeaderEpoch);
        Assert.Equal(2, h.Magic);
        Assert.Equal(1234, h.ProducerId);
        Assert.Equal((short)5, h.ProducerEpoch);
        Assert.Equal(99, h.BaseSequence);
        Assert.Equal(100, h.LastSequence);
        Assert.Equal(1000, h.BaseTimestamp);
        Assert.Equal(1000, h.MaxTimestamp);
        Assert.Equal(43, h.LastOffset);
        Assert.True(h.IsTransactional);
        Assert.False(h.IsControl);
        Assert.Equal(TimestampType.CreateTime, h.TimestampType);
        Assert.Equal(CompressionType.Lz4, h.Compression);
    }

    [Fact]
    public void Validate_rejects_a_flipped_bit_anywhere_the_crc_covers()
    {
        var batch = TestRecords.Simple(5, compression: CompressionType.Zstd);
        for (var i = RecordBatchHeader.AttributesOffset; i < batch.Length; i++)
        {
            var copy = (byte[])batch.Clone();
            copy[i] ^= 0x10;
            Assert.Equal(BatchError.Corrupt, RecordBatch.Validate(copy, out _, out var reason));
            Assert.NotNull(reason);
        }
    }

    [Fact]
    public void Validate_rejects_truncation_bad_magic_and_bad_length()
    {
        var batch = TestRecords.Simple(3);
        for (var cut = 0; cut < batch.Length; cut++)
        {
            Assert.Equal(BatchError.Corrupt, RecordBatch.Validate(batch.AsSpan(0, cut), out _, out _));
        }

        var badMagic = (byte[])batch.Clone();
        badMagic[RecordBatchHeader.MagicOffset] = 1;
        Assert.Equal(BatchError.Corrupt, RecordBatch.Validate(badMagic, out _, out _));

        var badLength = (byte[])batch.Clone();
        BinaryPrimitives.WriteInt32BigEndian(badLength.AsSpan(RecordBatchHeader.BatchLengthOffset), 10);
        Assert.Equal(BatchError.Corrupt, RecordBatch.Validate(badLength, out _, out _));
    }

    [Fact]
    public void Base_offset_and_leader_epoch_rewrites_keep_the_crc_valid()
    {
        var batch = TestRecords.Simple(4, compression: CompressionType.Gzip);
        RecordBatch.SetBaseOffset(batch, 1_000_000);
        RecordBatch.SetPartitionLeaderEpoch(batch, 12);
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch, out var h, out _));
        Assert.Equal(1_000_000, h.BaseOffset);
        Assert.Equal(12, h.PartitionLeaderEpoch);
    }

    [Fact]
    public void Log_append_time_rewrite_sets_the_flag_max_timestamp_and_a_valid_crc()
    {
        var batch = TestRecords.Simple(4, compression: CompressionType.Snappy);
        RecordBatch.SetLogAppendTime(batch, 5555);
        Assert.Equal(BatchError.None, RecordBatch.ValidateRecords(batch, new ArrayBufferWriter<byte>(), out var why)); Assert.Null(why);
        RecordBatchHeader.TryRead(batch, out var h);
        Assert.Equal(TimestampType.LogAppendTime, h.TimestampType);
        Assert.Equal(5555, h.MaxTimestamp);
        Assert.Equal(CompressionType.Snappy, h.Compression);
    }

    [Fact]
    public void ValidateRecords_rejects_offset_delta_gaps_and_count_mismatch_as_invalid_record()
    {
        var builder = new RecordBatchBuilder();
        builder.AddWithOffsetDelta(0, 1, "a"u8, false, "x"u8, false, null);
        builder.AddWithOffsetDelta(2, 2, "b"u8, false, "y"u8, false, null);
        var gapped = builder.Build();
        // Framing and CRC are fine: this is a compacted-style batch, valid to store but not from a producer.
        Assert.Equal(BatchError.None, RecordBatch.Validate(gapped, out _, out _));
        Assert.Equal(BatchError.InvalidRecord, RecordBatch.ValidateRecords(gapped, new ArrayBufferWriter<byte>(), out _));

        var wrongCount = TestRecords.Simple(3);
        BinaryPrimitives.WriteInt32BigEndian(wrongCount.AsSpan(RecordBatchHeader.RecordCountOffset), 4);
        BinaryPrimitives.WriteInt32BigEndian(wrongCount.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), 3);
        RecordBatch.UpdateCrc(wrongCount);
        Assert.Equal(BatchError.InvalidRecord, RecordBatch.ValidateRecords(wrongCount, new ArrayBufferWriter<byte>(), out var reason));
        Assert.Contains("Record 3", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateRecords_reports_undecompressable_records_as_corrupt()
    {
        var batch = TestRecords.Simple(3, valueSize: 200, compression: CompressionType.Zstd);
        // Damage the compressed body, then re-checksum so only decompression can notice.
        for (var i = RecordBatchHeader.Size; i < batch.Length; i++)
        {
            batch[i] = 0xAB;
        }

        RecordBatch.UpdateCrc(batch);
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch, out _, out _));
        Assert.Equal(BatchError.Corrupt, RecordBatch.ValidateRecords(batch, new ArrayBufferWriter<byte>(), out _));
    }

    [Fact]
    public void Control_batches_are_recognised_and_carry_the_marker()
    {
        var batch = RecordBatchBuilder.BuildControlBatch(ControlRecordType.Commit, producerId: 77, producerEpoch: 3, coordinatorEpoch: 9, timestamp: 123);
        Assert.Equal(BatchError.None, RecordBatch.ValidateRecords(batch, new ArrayBufferWriter<byte>(), out var why)); Assert.Null(why);
        RecordBatchHeader.TryRead(batch, out var h);
        Assert.True(h.IsControl);
        Assert.True(h.IsTransactional);
        Assert.Equal(77, h.ProducerId);
        var reader = RecordBatch.GetRecords(batch, h, new ArrayBufferWriter<byte>());
        Assert.True(reader.MoveNext());
        Assert.True(ControlRecord.TryRead(reader.Current, out var marker));
        Assert.Equal(new ControlRecord(ControlRecordType.Commit, 9), marker);
    }

    [Fact]
    public void Header_enumerator_walks_concatenated_batches_and_stops_at_a_partial_tail()
    {
        var a = TestRecords.Simple(2);
        var b = TestRecords.Simple(3, compression: CompressionType.Lz4);
        var buffer = a.Concat(b).Concat(a.Take(20)).ToArray();
        var sizes = new List<int>();
        var e = RecordBatch.EnumerateHeaders(buffer);
        while (e.MoveNext())
        {
            sizes.Add(e.Current.TotalSize);
        }

        Assert.Equal([a.Length, b.Length], sizes);
        Assert.Equal(a.Length + b.Length, e.Consumed);
    }

    [Fact]
    public void Malformed_record_bytes_throw_invalid_data_rather_than_read_out_of_bounds()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            var reader = new RecordReader(bytes, 5);
            try
            {
                while (reader.MoveNext())
                {
                    foreach (var h in reader.Current.Headers)
                    {
                        _ = h.Key.Length;
                    }
                }
            }
            catch (InvalidDataException)
            {
                // Expected for most random inputs; anything else (IndexOutOfRange...) fails the test.
            }
        }, iter: 2000);
    }
}
