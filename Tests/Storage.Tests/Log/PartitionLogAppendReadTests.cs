using System.Buffers.Binary;
using CsCheck;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using static Orleans.Kafka.Storage.Tests.Log.LogTestSupport;

namespace Orleans.Kafka.Storage.Tests.Log;

public class PartitionLogAppendReadTests
{
    private static readonly Gen<CompressionType> Codec = Gen.OneOfConst(CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd);

    // A produce request: 1-3 batches, each 1-20 records of 0-2000 byte values in one codec.
    private static readonly Gen<byte[][]> Request =
        Gen.Select(Codec, Gen.Int[1, 20], Gen.Int[0, 2000], Gen.Long[1_600_000_000_000, 1_800_000_000_000])
            .Select((codec, count, size, ts) => Batch(count, size, ts, codec))
            .Array[1, 3];

    [Fact]
    public void Appended_batches_of_any_codec_and_size_read_back_byte_identical()
    {
        Gen.Select(Request.Array[1, 12], Gen.Int[300, 20_000], Gen.Int[0, 3000]).Sample((requests, segmentBytes, indexInterval) =>
        {
            using var dir = new TempDirectory();
            var config = new LogConfig { SegmentBytes = Math.Max(segmentBytes, requests.Max(r => r.Sum(b => b.Length))), IndexIntervalBytes = indexInterval, RetentionMs = -1 };
            var expected = new List<byte>();
            using (var log = PartitionLog.Open(dir.Path, config))
            {
                foreach (var request in requests)
                {
                    var next = log.LogEndOffset;
                    var result = log.Append(request.SelectMany(b => b).ToArray(), leaderEpoch: 3);
                    Assert.Equal(next, result.FirstOffset);
                    foreach (var batch in request)
                    {
                        expected.AddRange(Expected(batch, next, 3));
                        next += CountRecords(batch);
                    }

                    Assert.Equal(next - 1, result.LastOffset);
                    Assert.Equal(next, log.LogEndOffset);
                }

                Assert.Equal(expected.ToArray(), ReadAll(log));
            }

            // And after a clean reopen.
            using var reopened = PartitionLog.Open(dir.Path, config);
            Assert.True(reopened.OpenedAfterCleanShutdown);
            Assert.Equal(expected.ToArray(), ReadAll(reopened));
        }, iter: 40);
    }

    [Fact]
    public void Read_returns_the_batch_holding_the_offset_at_every_segment_and_index_boundary()
    {
        using var dir = new TempDirectory();
        // Small segments and an entry per batch so offsets fall on every kind of boundary.
        var config = new LogConfig { SegmentBytes = 2000, IndexIntervalBytes = 1, RetentionMs = -1 };
        var batches = new List<(long Base, long Last)>();
        using (var log = PartitionLog.Open(dir.Path, config))
        {
            for (var i = 0; i < 60; i++)
            {
                var r = log.Append(Batch(1 + (i % 4), 80), 0);
                batches.Add((r.FirstOffset, r.LastOffset));
            }

            Assert.True(log.Segments.Count > 5);
            AssertEveryOffset(log, batches);
        }

        using var reopened = PartitionLog.Open(dir.Path, config);
        AssertEveryOffset(reopened, batches);

        static void AssertEveryOffset(PartitionLog log, List<(long Base, long Last)> batches)
        {
            foreach (var (b, last) in batches)
            {
                for (var offset = b; offset <= last; offset++)
                {
                    using var result = log.Read(offset, 1);
                    var headers = Headers(result.Records.Span);
                    Assert.Single(headers);
                    Assert.Equal(b, headers[0].BaseOffset);
                    Assert.Equal(last + 1, result.NextOffset);
                }
            }
        }
    }

    [Fact]
    public void Read_respects_max_bytes_but_always_returns_the_first_whole_batch()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        var big = Batch(5, 1000);
        var small = Batch(1, 10);
        log.Append(big, 0);
        log.Append(small, 0);
        log.Append(small, 0);

        using (var first = log.Read(0, 10))
        {
            Assert.Equal(big.Length, first.Length);
            Assert.Equal(1, first.BatchCount);
        }

        using (var two = log.Read(0, big.Length + small.Length + 5))
        {
            Assert.Equal(2, two.BatchCount);
            Assert.Equal(6, two.NextOffset);
        }

        using var fromMiddle = log.Read(3, int.MaxValue / 2);
        Assert.Equal(0, fromMiddle.FirstOffset);
        Assert.Equal(3, fromMiddle.BatchCount);
    }

    [Fact]
    public void Read_stops_before_max_offset_and_is_empty_at_the_end()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        log.Append(Batch(2), 0);
        log.Append(Batch(2), 0);
        log.Append(Batch(2), 0);

        using (var belowHighWatermark = log.Read(0, 1 << 20, maxOffset: 4))
        {
            Assert.Equal(2, belowHighWatermark.BatchCount);
            Assert.Equal(4, belowHighWatermark.NextOffset);
        }

        using (var atHighWatermark = log.Read(4, 1 << 20, maxOffset: 4))
        {
            Assert.Equal(0, atHighWatermark.BatchCount);
        }

        using var atEnd = log.Read(6, 1 << 20);
        Assert.Equal(0, atEnd.Length);
        Assert.Equal(6, atEnd.LogEndOffset);
        Assert.Equal(LogErrorKind.OffsetOutOfRange, Assert.Throws<LogException>(() => log.Read(7, 100)).Kind);
        Assert.Equal(LogErrorKind.OffsetOutOfRange, Assert.Throws<LogException>(() => log.Read(-1, 100)).Kind);
    }

    [Fact]
    public void Append_rejects_batch_with_bad_crc_and_writes_nothing_of_the_request()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        log.Append(Batch(3), 0);
        var sizeBefore = log.Size;
        var good = Batch(2);
        var bad = Batch(2);
        bad[^1] ^= 0xFF;

        var ex = Assert.Throws<LogException>(() => log.Append(good.Concat(bad).ToArray(), 0));
        Assert.Equal(LogErrorKind.CorruptMessage, ex.Kind);
        Assert.Equal(3, log.LogEndOffset);
        Assert.Equal(sizeBefore, log.Size);
        Assert.Equal(sizeBefore, new FileInfo(log.Segments[0].LogPath).Length);
    }

    [Fact]
    public void Append_maps_each_kind_of_bad_input_to_its_error()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { MaxMessageBytes = 2000, MessageTimestampBeforeMaxMs = 60_000, MessageTimestampAfterMaxMs = 60_000, RetentionMs = -1 }, time);

        Assert.Equal(LogErrorKind.MessageTooLarge, Assert.Throws<LogException>(() => log.Append(Batch(3, 1000, time.NowMs), 0)).Kind);
        Assert.Equal(LogErrorKind.CorruptMessage, Assert.Throws<LogException>(() => log.Append(Batch(3, 10, time.NowMs)[..40], 0)).Kind);
        Assert.Equal(LogErrorKind.CorruptMessage, Assert.Throws<LogException>(() => log.Append(Batch(3, 10, time.NowMs).Concat(new byte[5]).ToArray(), 0)).Kind);
        Assert.Equal(LogErrorKind.InvalidRecord, Assert.Throws<LogException>(() => log.Append(Array.Empty<byte>(), 0)).Kind);
        Assert.Equal(LogErrorKind.InvalidTimestamp, Assert.Throws<LogException>(() => log.Append(Batch(1, 10, time.NowMs - 120_000), 0)).Kind);
        Assert.Equal(LogErrorKind.InvalidTimestamp, Assert.Throws<LogException>(() => log.Append(Batch(1, 10, time.NowMs + 120_000), 0)).Kind);

        // A record older than the window hiding behind a fresh base and max timestamp.
        var hidden = new RecordBatchBuilder().Add(time.NowMs, "a"u8, "1"u8).Add(time.NowMs - 120_000, "b"u8, "2"u8).Build();
        Assert.Equal(LogErrorKind.InvalidTimestamp, Assert.Throws<LogException>(() => log.Append(hidden, 0)).Kind);

        var gapped = new RecordBatchBuilder();
        gapped.AddWithOffsetDelta(0, time.NowMs, "a"u8, false, "1"u8, false, null);
        gapped.AddWithOffsetDelta(5, time.NowMs, "b"u8, false, "2"u8, false, null);
        Assert.Equal(LogErrorKind.InvalidRecord, Assert.Throws<LogException>(() => log.Append(gapped.Build(), 0)).Kind);

        var badMagic = Batch(1, 10, time.NowMs);
        badMagic[RecordBatchHeader.MagicOffset] = 1;
        Assert.Equal(LogErrorKind.CorruptMessage, Assert.Throws<LogException>(() => log.Append(badMagic, 0)).Kind);

        Assert.Equal(0, log.LogEndOffset);
        Assert.Equal(0, log.Size);
        Assert.Equal(0, log.Append(Batch(1, 10, time.NowMs), 0).FirstOffset);
    }

    [Fact]
    public void Append_larger_than_a_segment_is_rejected_as_record_list_too_large()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { SegmentBytes = 1000, RetentionMs = -1 });
        Assert.Equal(LogErrorKind.RecordListTooLarge, Assert.Throws<LogException>(() => log.Append(Batch(3, 500), 0)).Kind);
    }

    [Fact]
    public void Log_append_time_rewrites_max_timestamp_and_crc()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime(1_750_000_000_000);
        using var log = PartitionLog.Open(dir.Path, new LogConfig { MessageTimestampType = TimestampType.LogAppendTime, RetentionMs = -1 }, time);
        var result = log.Append(Batch(3, 10, timestamp: 5, codec: CompressionType.Lz4), 0);
        Assert.Equal(time.NowMs, result.LogAppendTime);

        var stored = ReadAll(log);
        Assert.Equal(BatchError.None, RecordBatch.Validate(stored, out var header, out _));
        Assert.Equal(TimestampType.LogAppendTime, header.TimestampType);
        Assert.Equal(time.NowMs, header.MaxTimestamp);
        Assert.Equal(5, header.BaseTimestamp);
    }

    [Fact]
    public void Create_time_log_reports_no_append_time_and_keeps_producer_timestamps()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        var result = log.Append(Batch(3, 10, timestamp: 1234), 7);
        Assert.Equal(-1, result.LogAppendTime);
        Assert.Equal(1236, result.MaxTimestamp);
        Assert.Equal(BatchError.None, RecordBatch.Validate(ReadAll(log), out var header, out _));
        Assert.Equal(7, header.PartitionLeaderEpoch);
        Assert.Equal(1236, header.MaxTimestamp);
    }

    [Fact]
    public void Control_batches_are_stored_from_the_coordinator_and_refused_from_clients()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        log.Append(Batch(2), 0);
        var marker = RecordBatchBuilder.BuildControlBatch(ControlRecordType.Abort, 9, 1, 4, 1_700_000_000_000);
        Assert.Equal(LogErrorKind.InvalidRecord, Assert.Throws<LogException>(() => log.Append(marker, 0)).Kind);
        Assert.Equal(2, log.Append(marker, 0, AppendOrigin.Coordinator).FirstOffset);
        var headers = Headers(ReadAll(log));
        Assert.True(headers[1].IsControl);
        Assert.Equal(3, log.LogEndOffset);
    }

    [Fact]
    public async Task Segments_roll_on_size_time_and_full_index()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        var rolled = new List<long>();
        using (var log = PartitionLog.Open(dir.Path, new LogConfig { SegmentBytes = 1000, SegmentMs = 60_000, RetentionMs = -1 }, time))
        {
            log.SegmentRolled += rolled.Add;
            log.Append(Batch(1, 400, time.NowMs), 0);
            log.Append(Batch(1, 400, time.NowMs), 0);
            Assert.Single(log.Segments);
            log.Append(Batch(1, 400, time.NowMs), 0); // would pass 1000 bytes
            Assert.Equal(2, log.Segments.Count);
            Assert.Equal(2, log.Segments[1].BaseOffset);

            time.Advance(60_001);
            log.Append(Batch(1, 10, time.NowMs), 0);
            Assert.Equal(3, log.Segments.Count);
            Assert.Equal([2L, 3L], rolled);
            // The sealed segment is fsynced in the background, then the recovery point moves.
            await log.BackgroundFlush.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(3, log.RecoveryPoint);
        }

        using var dir2 = new TempDirectory();
        // 48 bytes of index: 6 offset entries / 4 time entries, one kept for the roll.
        using var small = PartitionLog.Open(dir2.Path, new LogConfig { SegmentIndexBytes = 48, IndexIntervalBytes = 1, RetentionMs = -1 }, time);
        for (var i = 0; i < 20; i++)
        {
            time.Advance(1);
            small.Append(Batch(1, 10, time.NowMs), 0);
        }

        Assert.True(small.Segments.Count >= 4);
        Assert.Equal(20, Headers(ReadAll(small)).Count);
    }

    [Fact]
    public void Offset_for_timestamp_and_max_timestamp_match_a_scan_of_every_record()
    {
        Gen.Select(Gen.Int[0, 1000].Array[1, 40], Gen.Int[0, 4]).Sample((timestamps, codec) =>
        {
            using var dir = new TempDirectory();
            var log = PartitionLog.Open(dir.Path, new LogConfig { SegmentBytes = 600, IndexIntervalBytes = 100, RetentionMs = -1 });
            // Batches of 1-3 records with non-monotonic timestamps.
            var all = new List<(long Offset, long Ts)>();
            for (var i = 0; i < timestamps.Length; i += 3)
            {
                var builder = new RecordBatchBuilder((CompressionType)codec);
                var slice = timestamps.Skip(i).Take(3).ToArray();
                foreach (var ts in slice)
                {
                    builder.Add(ts, "k"u8, "v"u8);
                }

                var r = log.Append(builder.Build(), 0);
                for (var j = 0; j < slice.Length; j++)
                {
                    all.Add((r.FirstOffset + j, slice[j]));
                }
            }

            Check(log, all, timestamps);
            log.Close();
            using var reopened = PartitionLog.Open(dir.Path, new LogConfig { SegmentBytes = 600, IndexIntervalBytes = 100, RetentionMs = -1 });
            Check(reopened, all, timestamps);
        }, iter: 40);
    }

    private static void Check(PartitionLog l, List<(long Offset, long Ts)> all, int[] timestamps)
    {
        var max = all.Max(x => x.Ts);
        Assert.Equal(new TimestampOffset(max, all.First(x => x.Ts == max).Offset), l.MaxTimestampOffset());

        foreach (var target in new long[] { -5, 0, 1, 250, 500, 999, 1000, 1001 }.Concat(timestamps.Select(t => (long)t)))
        {
            var expected = all.FirstOrDefault(x => x.Ts >= target);
            var actual = l.OffsetForTimestamp(target);
            if (expected == default && !all.Any(x => x.Ts >= target))
            {
                Assert.Null(actual);
            }
            else
            {
                Assert.Equal(new TimestampOffset(expected.Ts, expected.Offset), actual);
            }
        }
    }

    [Fact]
    public void Follower_append_keeps_offsets_and_rejects_going_backwards()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        var batch = Batch(3);
        RecordBatch.SetBaseOffset(batch, 100);
        RecordBatch.SetPartitionLeaderEpoch(batch, 9);
        log.AppendAsFollower(batch);
        Assert.Equal(103, log.LogEndOffset);
        Assert.Equal(100, log.Segments[0].BaseOffset);
        Assert.Equal(batch, ReadAll(log, 100));

        var stale = Batch(1);
        RecordBatch.SetBaseOffset(stale, 101);
        Assert.Equal(LogErrorKind.NonMonotonicOffset, Assert.Throws<LogException>(() => log.AppendAsFollower(stale)).Kind);
    }

    [Fact]
    public void Flush_messages_policy_advances_the_recovery_point()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { FlushMessages = 4, RetentionMs = -1 });
        log.Append(Batch(3), 0);
        Assert.Equal(0, log.RecoveryPoint);
        log.Append(Batch(1), 0);
        Assert.Equal(4, log.RecoveryPoint);
    }

    [Fact]
    public void Batches_without_timestamps_do_not_trigger_time_based_rolls()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { SegmentMs = 60_000, RetentionMs = -1 }, time);
        for (var i = 0; i < 5; i++)
        {
            log.Append(Batch(1, 10, timestamp: -1), 0);
        }

        Assert.Single(log.Segments);
        time.Advance(60_001);
        log.Append(Batch(1, 10, timestamp: -1), 0);
        Assert.Equal(2, log.Segments.Count);
    }

    [Fact]
    public void Segment_ms_is_measured_in_record_time_so_old_timestamps_do_not_roll_every_append()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { SegmentMs = 60_000, RetentionMs = -1 }, time);
        // Records a day older than the broker's clock, as a mirror or a replay sends them.
        var old = time.NowMs - 86_400_000;
        for (var i = 0; i < 5; i++)
        {
            log.Append(Batch(1, 10, timestamp: old + i), 0);
        }

        Assert.Single(log.Segments);
        // Kafka rolls when the incoming batch is segment.ms newer than the segment's first batch.
        log.Append(Batch(1, 10, timestamp: old + 60_001), 0);
        Assert.Equal(2, log.Segments.Count);
    }

    [Fact]
    public void Compressed_batches_are_record_checked_only_when_configured()
    {
        var gapped = new RecordBatchBuilder(CompressionType.Zstd);
        gapped.AddWithOffsetDelta(0, 1, "a"u8, false, "1"u8, false, null);
        gapped.AddWithOffsetDelta(1, 1, "b"u8, false, "2"u8, false, null);
        gapped.AddWithOffsetDelta(3, 1, "c"u8, false, "3"u8, false, null);
        var batch = gapped.Build();
        // Header says 3 records with last delta 3: the header check already refuses it.
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), 2);
        RecordBatch.UpdateCrc(batch);

        using var dir = new TempDirectory();
        using (var lenient = PartitionLog.Open(Path.Combine(dir.Path, "a"), new LogConfig { RetentionMs = -1 }))
        {
            Assert.Equal(0, lenient.Append(batch, 0).FirstOffset);
        }

        using var strict = PartitionLog.Open(Path.Combine(dir.Path, "b"), new LogConfig { RetentionMs = -1, ValidateCompressedRecords = true });
        Assert.Equal(LogErrorKind.InvalidRecord, Assert.Throws<LogException>(() => strict.Append(batch, 0)).Kind);
    }
}
