using Orleans.Kafka.Storage.Compaction;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Storage.Tests.Log;
using static Orleans.Kafka.Storage.Tests.Compaction.CompactionTestSupport;

namespace Orleans.Kafka.Storage.Tests.Compaction;

public class LogCleanerTests
{
    private static readonly CompressionType[] Codecs = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    /// <summary>Appends random keyed batches (10% tombstones, random codecs) and records what went where.</summary>
    private static void WriteRandom(PartitionLog log, Random rng, ManualTime time, int batches, int keys, List<StoredRecord> written)
    {
        for (var b = 0; b < batches; b++)
        {
            var writes = new List<KeyedWrite>();
            var count = rng.Next(1, 6);
            for (var i = 0; i < count; i++)
            {
                var key = "k" + rng.Next(keys);
                writes.Add(new KeyedWrite(key, rng.Next(10) == 0 ? null : $"{key}-v{written.Count + i}-{new string('x', rng.Next(40))}"));
            }

            var timestamp = time.NowMs;
            var result = log.Append(Batch(writes, timestamp, Codecs[rng.Next(Codecs.Length)]), 0);
            for (var i = 0; i < writes.Count; i++)
            {
                written.Add(new StoredRecord(result.FirstOffset + i, writes[i].Key, writes[i].Value, timestamp, false, -1));
            }

            time.Advance(rng.Next(3));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Cleaning_keeps_exactly_the_newest_record_per_key_at_its_original_offset(int seed)
    {
        using var dir = new TempDirectory();
        var rng = new Random(seed);
        var time = new ManualTime();
        var written = new List<StoredRecord>();
        using (var log = PartitionLog.Open(dir.Path, SmallSegments, time))
        {
            var cleaner = new LogCleaner(log, new CleanerConfig { DeleteRetentionMs = 1000 }, time);
            WriteRandom(log, rng, time, 150, 25, written);
            Assert.True(log.Segments.Count > 8);

            var first = await cleaner.CleanAsync();
            Assert.True(first.Cleaned);
            Assert.Equal(ActiveBase(log), first.CleanedUpTo);
            Assert.Equal(1.0, first.DirtyRatio);
            AssertRecords(Model(written, first.CleanedUpTo, tombstonesGone: false), ReadRecords(log));
            Assert.True(first.RecordsRetained < first.RecordsRead);

            // A second round cleans the new dirty section against the clean one.
            WriteRandom(log, rng, time, 100, 25, written);
            var second = await cleaner.CleanAsync(force: true);
            Assert.True(second.Cleaned);
            Assert.Equal(first.CleanedUpTo, second.FirstDirtyOffset);
            AssertRecords(Model(written, second.CleanedUpTo, tombstonesGone: false), ReadRecords(log));

            // Past every delete horizon, the tombstones go (and with them their keys).
            time.Advance(1001);
            var third = await cleaner.CleanAsync(force: true);
            AssertRecords(Model(written, third.CleanedUpTo, tombstonesGone: true), ReadRecords(log));
            Assert.Equal(third.CleanedUpTo, cleaner.FirstDirtyOffset);
        }

        using var reopened = PartitionLog.Open(dir.Path, SmallSegments, time);
        var expected = Model(written, ActiveBase(reopened), tombstonesGone: true);
        AssertRecords(expected, ReadRecords(reopened));
    }

    [Fact]
    public async Task After_a_truncation_the_records_appended_again_are_cleaned_as_dirty()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, SmallSegments, time);
        var cleaner = new LogCleaner(log, CleanerConfig.Default, time);
        var history = new List<StoredRecord>();
        void Write(string key, string value)
        {
            var appended = log.Append(Batch([new(key, value)], time.NowMs), 0);
            history.Add(new StoredRecord(appended.FirstOffset, key, value, time.NowMs, false, -1));
        }

        for (var i = 0; i < 60; i++)
        {
            Write("x" + (i % 10), new string('v', 50) + i);
        }

        var first = await cleaner.CleanAsync();

        // A follower truncation cuts deep into the cleaned range; a key is then written twice at
        // offsets below the old checkpoint. Counted as clean, both would stay.
        var cut = ReadRecords(log)[2].Offset;
        Assert.True(cut + 2 < first.CleanedUpTo);
        log.TruncateTo(cut);
        cleaner.NotifyTruncated(cut);
        Assert.Equal(cut, cleaner.FirstDirtyOffset);
        // What survived the cut (the cleaned records below it) is the history from here on.
        history.Clear();
        history.AddRange(ReadRecords(log));
        Write("dup", "1");
        Write("dup", "2");
        for (var i = 0; i < 60; i++)
        {
            Write("y" + i, new string('w', 50));
        }

        log.Roll();
        var second = await cleaner.CleanAsync(force: true);
        Assert.Equal(ActiveBase(log), second.CleanedUpTo);
        var records = ReadRecords(log);
        Assert.Equal(["2"], records.Where(r => r.Key == "dup").Select(r => r.Value));
        AssertRecords(Model(history, second.CleanedUpTo, tombstonesGone: false), records);
    }

    [Fact]
    public async Task Tombstones_stay_until_delete_retention_ms_after_the_clean_that_first_saw_them()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, SmallSegments, time);
        var cleaner = new LogCleaner(log, new CleanerConfig { DeleteRetentionMs = 60_000 }, time);
        log.Append(Batch([new("gone", "v1"), new("kept", "v1")], time.NowMs), 0);
        log.Append(Batch([new("gone", null)], time.NowMs, CompressionType.Lz4), 0);
        log.Roll();
        log.Append(Batch([new("other", "x")], time.NowMs), 0);

        await cleaner.CleanAsync();
        var afterFirst = ReadRecords(log);
        Assert.Contains(afterFirst, r => r is { Key: "gone", Value: null });
        Assert.DoesNotContain(afterFirst, r => r is { Key: "gone", Value: "v1" });

        time.Advance(59_999);
        await cleaner.CleanAsync(force: true);
        Assert.Contains(ReadRecords(log), r => r is { Key: "gone", Value: null });

        time.Advance(1);
        var last = await cleaner.CleanAsync(force: true);
        var records = ReadRecords(log);
        Assert.DoesNotContain(records, r => r.Key == "gone");
        Assert.Contains(records, r => r is { Key: "kept", Value: "v1" });
        Assert.True(last.Cleaned);
    }

    [Fact]
    public async Task Record_timestamps_survive_a_delete_horizon_rewrite()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, SmallSegments, time);
        var cleaner = new LogCleaner(log, new CleanerConfig { DeleteRetentionMs = 5000 }, time);
        var stamp = time.NowMs - 12345;
        log.Append(Batch([new("a", "1"), new("b", null)], stamp, CompressionType.Zstd), 0);
        log.Roll();
        log.Append(Batch([new("c", "1")], time.NowMs), 0);

        await cleaner.CleanAsync();
        var headers = new List<RecordBatchHeader>();
        var records = ReadRecords(log, headers);
        Assert.True(headers[0].HasDeleteHorizon);
        Assert.Equal(time.NowMs + 5000, headers[0].BaseTimestamp);
        Assert.Equal(CompressionType.Zstd, headers[0].Compression);
        Assert.All(records.Take(2), r => Assert.Equal(stamp, r.Timestamp));
    }

    [Fact]
    public async Task Dirty_ratio_below_min_cleanable_dirty_ratio_skips_the_pass()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, SmallSegments, time);
        var cleaner = new LogCleaner(log, new CleanerConfig { MinCleanableDirtyRatio = 0.5 }, time);
        for (var i = 0; i < 40; i++)
        {
            log.Append(Batch([new("k" + i, new string('v', 100))], time.NowMs), 0);
        }

        var first = await cleaner.CleanAsync();
        Assert.True(first.Cleaned);
        var checkpoint = cleaner.FirstDirtyOffset;
        Assert.Equal(0, cleaner.DirtyRatio());

        var rounds = 0;
        while (cleaner.DirtyRatio() < 0.5)
        {
            var skipped = await cleaner.CleanAsync();
            Assert.False(skipped.Cleaned);
            Assert.Equal(checkpoint, cleaner.FirstDirtyOffset);
            Assert.Equal(skipped.DirtyRatio, cleaner.DirtyRatio());
            log.Append(Batch([new("k" + rounds, "new")], time.NowMs), 0);
            log.Roll();
            rounds++;
        }

        Assert.True(rounds > 1);
        var cleaned = await cleaner.CleanAsync();
        Assert.True(cleaned.Cleaned);
        Assert.True(cleaned.DirtyRatio >= 0.5);
        Assert.Equal(ActiveBase(log), cleaner.FirstDirtyOffset);
    }

    [Fact]
    public async Task Min_compaction_lag_keeps_young_segments_uncleaned_and_max_lag_forces_a_clean()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, SmallSegments, time);
        var cleaner = new LogCleaner(log, new CleanerConfig { MinCompactionLagMs = 10_000, MaxCompactionLagMs = 60_000, MinCleanableDirtyRatio = 0.99 }, time);
        log.Append(Batch([new("k", "old1"), new("k", "old2")], time.NowMs), 0);
        log.Roll();
        time.Advance(20_000);
        log.Append(Batch([new("k", "young1"), new("k", "young2")], time.NowMs), 0);
        log.Roll();
        log.Append(Batch([new("k", "active")], time.NowMs), 0);

        var first = await cleaner.CleanAsync();
        var young = log.Segments[1].BaseOffset;
        Assert.Equal(young, first.CleanedUpTo);
        Assert.Equal(["old2", "young1", "young2", "active"], ReadRecords(log).Select(r => r.Value));

        // The young segment is now past min lag; the ratio (0.5 < 0.99) would skip it, but its
        // first record is past max.compaction.lag.ms, so it is cleaned anyway.
        time.Advance(60_001);
        var second = await cleaner.CleanAsync();
        Assert.True(second.Cleaned);
        Assert.True(second.DirtyRatio < 0.99);
        Assert.Equal(["young2", "active"], ReadRecords(log).Select(r => r.Value));
    }

    [Fact]
    public async Task Aborted_transactions_are_removed_and_cleaning_stops_before_an_open_one()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, SmallSegments with { SegmentBytes = 1 << 20 }, time);
        var cleaner = new LogCleaner(log, new CleanerConfig { DeleteRetentionMs = 1000 }, time);
        var t = time.NowMs;
        log.Append(Batch([new("a", "a0"), new("b", "b0")], t), 0);                                                // 0-1
        log.Append(Batch([new("a", "a1"), new("b", "b1")], t, producerId: 10, epoch: 0, baseSequence: 0, transactional: true), 0); // 2-3
        log.Append(RecordBatchBuilder.BuildControlBatch(ControlRecordType.Abort, 10, 0, 0, t), 0, AppendOrigin.Coordinator); // 4
        log.Append(Batch([new("c", "c1")], t, producerId: 11, epoch: 0, baseSequence: 0, transactional: true), 0); // 5
        log.Append(RecordBatchBuilder.BuildControlBatch(ControlRecordType.Commit, 11, 0, 0, t), 0, AppendOrigin.Coordinator); // 6
        log.Append(Batch([new("a", "a2")], t), 0);                                                                 // 7
        log.Roll();
        log.Append(Batch([new("d", "d1")], t, producerId: 12, epoch: 0, baseSequence: 0, transactional: true), 0); // 8: never ended
        log.Append(Batch([new("a", "a3")], t), 0);                                                                 // 9
        log.Roll();
        log.Append(Batch([new("f", "f1")], t), 0);                                                                 // 10

        var result = await cleaner.CleanAsync();
        Assert.Equal(8, result.CleanedUpTo);
        var records = ReadRecords(log);
        Assert.Equal([1L, 4, 5, 6, 7, 8, 9, 10], records.Select(r => r.Offset));
        Assert.DoesNotContain(records, r => r.Value is "a1" or "b1" or "a0");
        Assert.Equal([4L, 6], records.Where(r => r.IsControl).Select(r => r.Offset));

        // Past the horizon the abort marker goes (its transaction kept nothing); the commit
        // marker stays while its transaction's record does.
        time.Advance(1000);
        await cleaner.CleanAsync(force: true);
        records = ReadRecords(log);
        Assert.Equal([6L], records.Where(r => r.IsControl).Select(r => r.Offset));
        Assert.Contains(records, r => r is { Offset: 5, Value: "c1" });
    }

    [Fact]
    public async Task An_idempotent_producers_last_batch_stays_as_an_empty_header()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, SmallSegments, time);
        var cleaner = new LogCleaner(log, CleanerConfig.Default, time);
        log.Append(Batch([new("x", "1")], time.NowMs, producerId: 20, epoch: 3, baseSequence: 0), 0);
        log.Append(Batch([new("x", "2"), new("x", "3")], time.NowMs, CompressionType.Gzip, producerId: 20, epoch: 3, baseSequence: 1), 0);
        log.Append(Batch([new("x", "4")], time.NowMs), 0);
        log.Append(Batch([new("y", "1")], time.NowMs), 0);
        log.Roll();
        log.Append(Batch([new("z", "1")], time.NowMs), 0);

        await cleaner.CleanAsync();
        var headers = new List<RecordBatchHeader>();
        var records = ReadRecords(log, headers);
        Assert.Equal(["4", "1", "1"], records.Select(r => r.Value));
        var producer = Assert.Single(headers, h => h.ProducerId == 20);
        Assert.Equal(0, producer.RecordCount);
        Assert.Equal(1, producer.BaseSequence);
        Assert.Equal(2, producer.LastSequence);
        Assert.Equal(2, producer.LastOffset);
        Assert.Equal(3, producer.ProducerEpoch);
    }

    [Fact]
    public async Task Records_without_a_key_are_dropped_and_counted()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, SmallSegments, time);
        var cleaner = new LogCleaner(log, CleanerConfig.Default, time);
        log.Append(Batch([new(null, "lost"), new("k", "v"), new(null, "lost")], time.NowMs), 0);
        log.Roll();
        log.Append(Batch([new("k2", "v")], time.NowMs), 0);

        var result = await cleaner.CleanAsync();
        Assert.Equal(2, result.InvalidRecords);
        Assert.Equal([1L, 3], ReadRecords(log).Select(r => r.Offset));
    }

    [Fact]
    public async Task Compact_delete_is_the_owners_retention_plus_the_cleaner()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, SmallSegments with { RetentionMs = 10_000 }, time);
        var cleaner = new LogCleaner(log, new CleanerConfig { CleanupPolicy = CleanupPolicies.Parse("compact, delete") }, time);
        log.Append(Batch([new("old", "1")], time.NowMs), 0);
        log.Roll();
        time.Advance(20_000);
        log.Append(Batch([new("new", "1"), new("new", "2")], time.NowMs), 0);
        log.Roll();
        log.Append(Batch([new("active", "1")], time.NowMs), 0);

        // The owner's periodic retention (the partition grain's maintenance), then a cleaning pass.
        Assert.Equal(1, log.ApplyRetention());
        var result = await cleaner.CleanAsync();
        Assert.True(result.Cleaned);
        Assert.Equal(["2", "1"], ReadRecords(log).Select(r => r.Value));
    }

    [Fact]
    public async Task The_background_loop_cleans_new_dirty_segments_until_cancelled()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, SmallSegments);
        var cleaner = new LogCleaner(log, CleanerConfig.Default);
        using var stop = new CancellationTokenSource();
        var loop = cleaner.RunAsync(TimeSpan.FromMilliseconds(10), stop.Token);
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 30; i++)
            {
                log.Append(Batch([new("k" + (i % 5), new string('v', 100))], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), 0);
            }

            log.Roll();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (cleaner.FirstDirtyOffset != ActiveBase(log))
            {
                Assert.True(DateTime.UtcNow < deadline, "the background loop did not clean the new segments");
                await Task.Delay(10);
            }
        }

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(5, ReadRecords(log).Select(r => r.Key).Distinct().Count());
        Assert.Equal(5, ReadRecords(log).Count);
    }

    [Fact]
    public void Cleanup_policy_parses_kafkas_list_form()
    {
        Assert.Equal(CleanupPolicy.Compact | CleanupPolicy.Delete, CleanupPolicies.Parse("delete,compact"));
        Assert.Equal(CleanupPolicy.Compact, CleanupPolicies.Parse("compact"));
        Assert.Throws<ArgumentException>(() => CleanupPolicies.Parse("shred"));
        Assert.Throws<ArgumentException>(() => CleanupPolicies.Parse(""));
    }
}
