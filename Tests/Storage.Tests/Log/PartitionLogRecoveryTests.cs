using CsCheck;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using static Orleans.Kafka.Storage.Tests.Log.LogTestSupport;

namespace Orleans.Kafka.Storage.Tests.Log;

public class PartitionLogRecoveryTests
{
    private static readonly long BaseTimestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static readonly LogConfig SmallSegments = new() { SegmentBytes = 3000, IndexIntervalBytes = 256, RetentionMs = -1 };

    /// <summary>Writes batches of varied sizes and codecs; returns each batch's (segment base, position, size, base offset, next offset).</summary>
    private static List<(long Segment, long Position, int Size, long Base, long Next)> Fill(PartitionLog log, int count, int seed)
    {
        var random = new Random(seed);
        var placed = new List<(long, long, int, long, long)>();
        for (var i = 0; i < count; i++)
        {
            var batch = Batch(random.Next(1, 6), random.Next(0, 400), BaseTimestamp + i, (Orleans.Kafka.Storage.Compression.CompressionType)random.Next(0, 5));
            var before = log.Segments[^1];
            var result = log.Append(batch, 0);
            var segment = log.Segments[^1];
            var position = segment.BaseOffset == before.BaseOffset ? before.Size : 0;
            placed.Add((segment.BaseOffset, position, batch.Length, result.FirstOffset, result.LastOffset + 1));
        }

        return placed;
    }

    [Fact]
    public void Cut_at_a_random_byte_keeps_every_batch_before_it_and_returns_nothing_after()
    {
        Gen.Select(Gen.Int[5, 40], Gen.Int, Gen.Double[0, 1], Gen.Bool).Sample((count, seed, where, forgetRecoveryPoint) =>
        {
            using var dir = new TempDirectory();
            var log = PartitionLog.Open(dir.Path, SmallSegments);
            var placed = Fill(log, count, seed);
            var segments = log.Segments.Select(s => (s.BaseOffset, s.Size, s.LogPath)).ToList();
            log.Abandon();

            // Cut the active segment, or, with the recovery point gone, any segment.
            if (forgetRecoveryPoint)
            {
                File.Delete(Path.Combine(dir.Path, "recovery-point-offset-checkpoint"));
            }

            var target = forgetRecoveryPoint ? segments[(int)(where * (segments.Count - 1))] : segments[^1];
            var cut = (long)(where * target.Size);
            var inTarget = placed.Where(p => p.Segment == target.BaseOffset).ToList();
            if (target != segments[^1] && cut > 0 && inTarget.Any(p => p.Position + p.Size == cut) && cut < target.Size)
            {
                // A sealed segment cut exactly between two batches looks whole; tear inside a batch instead.
                cut++;
            }

            using (var file = File.OpenHandle(target.LogPath, FileMode.Open, FileAccess.ReadWrite))
            {
                RandomAccess.SetLength(file, cut);
            }

            using var reopened = PartitionLog.Open(dir.Path, SmallSegments);
            Assert.False(reopened.OpenedAfterCleanShutdown);
            var torn = cut < target.Size;
            var survivors = torn
                ? placed.Where(p => p.Segment < target.BaseOffset || (p.Segment == target.BaseOffset && p.Position + p.Size <= cut)).ToList()
                : placed;
            var expectedEnd = !torn ? placed[^1].Next
                : survivors.Count > 0 && survivors[^1].Segment == target.BaseOffset ? survivors[^1].Next
                : target.BaseOffset;

            Assert.Equal(expectedEnd, reopened.LogEndOffset);
            var headers = Headers(ReadAll(reopened));
            Assert.Equal(survivors.Select(s => s.Base), headers.Select(h => h.BaseOffset));
            Assert.Throws<LogException>(() => reopened.Read(expectedEnd + 1, 100));

            // The log takes appends again right where it ends.
            Assert.Equal(expectedEnd, reopened.Append(Batch(1), 0).FirstOffset);
        }, iter: 60);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("zeros")]
    [InlineData("partial-batch")]
    [InlineData("bit-flip")]
    public void Torn_or_corrupt_tail_is_truncated_on_open(string damage)
    {
        using var dir = new TempDirectory();
        var log = PartitionLog.Open(dir.Path, SmallSegments);
        var placed = Fill(log, 25, seed: 7);
        var active = log.Segments[^1];
        log.Abandon();

        var lastInActive = placed.Where(p => p.Segment == active.BaseOffset).ToList();
        var expectedEnd = placed[^1].Next;
        using (var file = File.OpenHandle(active.LogPath, FileMode.Open, FileAccess.ReadWrite))
        {
            switch (damage)
            {
                case "garbage":
                    RandomAccess.Write(file, Enumerable.Range(0, 777).Select(i => (byte)(i * 31 + 5)).ToArray(), active.Size);
                    break;
                case "zeros":
                    RandomAccess.SetLength(file, active.Size + 65536);
                    break;
                case "partial-batch":
                    RandomAccess.Write(file, Batch(3).AsSpan(0, 70), active.Size);
                    break;
                case "bit-flip":
                    var victim = lastInActive[^1];
                    var b = new byte[1];
                    RandomAccess.Read(file, b, victim.Position + victim.Size - 1);
                    b[0] ^= 1;
                    RandomAccess.Write(file, b, victim.Position + victim.Size - 1);
                    expectedEnd = victim.Base;
                    break;
            }
        }

        using var reopened = PartitionLog.Open(dir.Path, SmallSegments);
        Assert.Equal(expectedEnd, reopened.LogEndOffset);
        Assert.Equal(placed.Where(p => p.Next <= expectedEnd).Select(p => p.Base), Headers(ReadAll(reopened)).Select(h => h.BaseOffset));
        Assert.Equal(expectedEnd, reopened.Append(Batch(2), 0).FirstOffset);
    }

    [Fact]
    public void Clean_shutdown_marker_skips_recovery_and_a_crash_clears_it()
    {
        using var dir = new TempDirectory();
        using (var log = PartitionLog.Open(dir.Path, SmallSegments))
        {
            Fill(log, 10, seed: 1);
        }

        var log2 = PartitionLog.Open(dir.Path, SmallSegments);
        Assert.True(log2.OpenedAfterCleanShutdown);
        Assert.False(File.Exists(Path.Combine(dir.Path, ".kafka_cleanshutdown")));
        log2.Abandon();

        using var log3 = PartitionLog.Open(dir.Path, SmallSegments);
        Assert.False(log3.OpenedAfterCleanShutdown);
    }

    [Fact]
    public async Task Recovery_after_a_crash_scans_only_segments_past_the_recovery_point()
    {
        using var dir = new TempDirectory();
        var log = PartitionLog.Open(dir.Path, SmallSegments);
        Fill(log, 30, seed: 3);
        var segments = log.Segments;
        Assert.True(segments.Count >= 3);
        // Rolls flushed every sealed segment: the recovery point is the active segment's base.
        await log.BackgroundFlush.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(segments[^1].BaseOffset, log.RecoveryPoint);
        log.Abandon();

        // Damage a flushed segment: a recovery that scanned it would cut the log there.
        using (var file = File.OpenHandle(segments[0].LogPath, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Write(file, new byte[] { 0xEE }, segments[0].Size - 1);
        }

        using var reopened = PartitionLog.Open(dir.Path, SmallSegments);
        Assert.Equal(segments.Count, reopened.Segments.Count);
    }

    [Theory]
    [InlineData(".index", "delete")]
    [InlineData(".timeindex", "delete")]
    [InlineData(".index", "garbage")]
    [InlineData(".timeindex", "garbage")]
    public void Missing_or_inconsistent_indexes_are_rebuilt(string suffix, string damage)
    {
        using var dir = new TempDirectory();
        var config = SmallSegments with { IndexIntervalBytes = 1 };
        List<(long Segment, long Position, int Size, long Base, long Next)> placed;
        using (var log = PartitionLog.Open(dir.Path, config))
        {
            placed = Fill(log, 30, seed: 5);
        }

        foreach (var path in Directory.EnumerateFiles(dir.Path, "*" + suffix))
        {
            if (damage == "delete")
            {
                File.Delete(path);
            }
            else
            {
                File.WriteAllBytes(path, Enumerable.Range(0, 40).Select(i => (byte)(255 - i)).ToArray());
            }
        }

        using var reopened = PartitionLog.Open(dir.Path, config);
        foreach (var p in placed)
        {
            for (var offset = p.Base; offset < p.Next; offset++)
            {
                using var result = reopened.Read(offset, 1);
                Assert.Equal(p.Base, result.FirstOffset);
            }
        }

        Assert.Equal(BaseTimestamp + 10, reopened.OffsetForTimestamp(BaseTimestamp + 10)?.Timestamp);
        Assert.Equal(placed[^1].Next, reopened.Append(Batch(1), 0).FirstOffset);
    }

    [Fact]
    public void Log_start_offset_survives_clean_and_unclean_reopen()
    {
        using var dir = new TempDirectory();
        var log = PartitionLog.Open(dir.Path, SmallSegments);
        Fill(log, 20, seed: 9);
        log.DeleteRecordsBefore(17);
        log.Abandon();

        var reopened = PartitionLog.Open(dir.Path, SmallSegments);
        Assert.Equal(17, reopened.LogStartOffset);
        reopened.Close();
        using var again = PartitionLog.Open(dir.Path, SmallSegments);
        Assert.Equal(17, again.LogStartOffset);
        Assert.Equal(LogErrorKind.OffsetOutOfRange, Assert.Throws<LogException>(() => again.Read(16, 100)).Kind);
    }

    [Fact]
    public void Close_flushes_everything_and_checkpoints_the_end_as_recovery_point()
    {
        using var dir = new TempDirectory();
        long end;
        using (var log = PartitionLog.Open(dir.Path, SmallSegments))
        {
            Fill(log, 30, seed: 11);
            end = log.LogEndOffset;
        }

        Assert.Equal(end.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(dir.Path, "recovery-point-offset-checkpoint")));
        Assert.True(File.Exists(Path.Combine(dir.Path, ".kafka_cleanshutdown")));
        // Indexes are trimmed to their entries on close.
        foreach (var index in Directory.EnumerateFiles(dir.Path, "*.index"))
        {
            Assert.True(new FileInfo(index).Length < SmallSegments.SegmentIndexBytes);
        }
    }

    [Fact]
    public void Recovery_under_a_smaller_index_size_keeps_all_data()
    {
        using var dir = new TempDirectory();
        var log = PartitionLog.Open(dir.Path, new LogConfig { IndexIntervalBytes = 1, RetentionMs = -1 });
        for (var i = 0; i < 40; i++)
        {
            log.Append(Batch(1, 50), 0);
        }

        log.Abandon();
        using var reopened = PartitionLog.Open(dir.Path, new LogConfig { IndexIntervalBytes = 1, SegmentIndexBytes = 96, RetentionMs = -1 });
        Assert.Equal(40, reopened.LogEndOffset);
        using var read = reopened.Read(39, 1);
        Assert.Equal(39, read.FirstOffset);
        // The full index rolls the next append into a new segment.
        reopened.Append(Batch(1), 0);
        Assert.Equal(2, reopened.Segments.Count);
    }

    [Fact]
    public void A_directory_open_by_one_log_cannot_be_opened_by_another()
    {
        using var dir = new TempDirectory();
        using (var log = PartitionLog.Open(dir.Path, SmallSegments))
        {
            Assert.Throws<InvalidOperationException>(() => PartitionLog.Open(dir.Path, SmallSegments));
        }

        using var again = PartitionLog.Open(dir.Path, SmallSegments);
        Assert.True(again.OpenedAfterCleanShutdown);
    }
}
