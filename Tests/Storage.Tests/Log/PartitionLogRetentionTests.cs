using CsCheck;
using Orleans.Kafka.Storage.Log;
using static Orleans.Kafka.Storage.Tests.Log.LogTestSupport;

namespace Orleans.Kafka.Storage.Tests.Log;

public class PartitionLogRetentionTests
{
    /// <summary>
    /// The model: segments as (base, size, max timestamp). Time retention drops the oldest while
    /// they are older than retention.ms; size retention then drops the oldest while the rest is
    /// still at least retention.bytes. Dropping everything leaves one empty segment at the end.
    /// </summary>
    private static long ExpectedFirstBase(IReadOnlyList<LogSegmentInfo> segments, long logEnd, long nowMs, long retentionMs, long retentionBytes)
    {
        var kept = segments.Where(s => s.Size > 0).ToList();
        if (retentionMs >= 0)
        {
            while (kept.Count > 0 && nowMs - kept[0].MaxTimestamp > retentionMs)
            {
                kept.RemoveAt(0);
            }
        }

        if (retentionBytes >= 0)
        {
            var total = kept.Sum(s => s.Size);
            while (kept.Count > 0 && total - kept[0].Size >= retentionBytes)
            {
                total -= kept[0].Size;
                kept.RemoveAt(0);
            }
        }

        return kept.Count == 0 ? logEnd : kept[0].BaseOffset;
    }

    [Fact]
    public void Retention_by_time_and_size_matches_the_model()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Int[-1, 30_000], Gen.Int[-1, 20_000], Gen.Int[0, 50_000]).Sample((batches, retentionMs, retentionBytes, elapsed) =>
        {
            using var dir = new TempDirectory();
            var time = new ManualTime();
            var config = new LogConfig { SegmentBytes = 1500, RetentionMs = retentionMs, RetentionBytes = retentionBytes };
            using var log = PartitionLog.Open(dir.Path, config, time);
            for (var i = 0; i < batches; i++)
            {
                time.Advance(1000);
                log.Append(Batch(1 + (i % 3), 200, time.NowMs), 0);
            }

            time.Advance(elapsed);
            var before = log.Segments;
            var logEnd = log.LogEndOffset;
            var expectedStart = ExpectedFirstBase(before, logEnd, time.NowMs, retentionMs, retentionBytes);

            log.ApplyRetention();

            Assert.Equal(expectedStart, log.LogStartOffset);
            Assert.Equal(expectedStart, log.Segments[0].BaseOffset);
            Assert.Equal(logEnd, log.LogEndOffset);
            foreach (var gone in before.Where(s => s.BaseOffset < expectedStart))
            {
                Assert.False(File.Exists(gone.LogPath));
            }

            // What is left reads from the new start to the end.
            var headers = Headers(ReadAll(log));
            Assert.Equal(logEnd, headers.Count == 0 ? expectedStart : headers[^1].NextOffset);
            Assert.Equal(LogErrorKind.OffsetOutOfRange, expectedStart > 0 ? Assert.Throws<LogException>(() => log.Read(expectedStart - 1, 100)).Kind : LogErrorKind.OffsetOutOfRange);
            Assert.Equal(logEnd, log.Append(Batch(1, 10, time.NowMs), 0).FirstOffset);
        }, iter: 60);
    }

    [Fact]
    public void Minus_one_keeps_everything()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { SegmentBytes = 500, RetentionMs = -1, RetentionBytes = -1 }, time);
        for (var i = 0; i < 10; i++)
        {
            log.Append(Batch(1, 300, time.NowMs), 0);
        }

        time.Advance(365L * 24 * 3600 * 1000);
        Assert.Equal(0, log.ApplyRetention());
        Assert.Equal(10, log.Segments.Count);
    }

    [Fact]
    public void Retention_never_deletes_past_the_high_watermark()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { SegmentBytes = 500, RetentionMs = 1000 }, time);
        for (var i = 0; i < 6; i++)
        {
            log.Append(Batch(1, 300, time.NowMs), 0);
        }

        time.Advance(10_000);
        log.ApplyRetention(highWatermark: 3);
        Assert.Equal(3, log.LogStartOffset);
    }

    [Fact]
    public void Delete_records_moves_the_start_and_drops_whole_segments_below_it()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { SegmentBytes = 500, RetentionMs = -1 });
        for (var i = 0; i < 10; i++)
        {
            log.Append(Batch(2, 150), 0);
        }

        var segments = log.Segments.Count;
        Assert.Equal(7, log.DeleteRecordsBefore(7));
        Assert.Equal(7, log.LogStartOffset);
        Assert.Equal(7, log.DeleteRecordsBefore(3)); // never moves back
        Assert.True(log.Segments.Count < segments);
        Assert.True(log.Segments[0].BaseOffset <= 7);

        using (var read = log.Read(7, 1))
        {
            Assert.Equal(6, read.FirstOffset); // the batch holding offset 7 starts at 6
        }

        Assert.Equal(LogErrorKind.OffsetOutOfRange, Assert.Throws<LogException>(() => log.Read(5, 100)).Kind);
        Assert.Equal(LogErrorKind.OffsetOutOfRange, Assert.Throws<LogException>(() => log.DeleteRecordsBefore(21)).Kind);

        Assert.Equal(20, log.DeleteRecordsBefore(20));
        Assert.Equal(20, log.LogEndOffset);
        Assert.Equal(0, log.Read(20, 100).BatchCount);
        Assert.Equal(20, log.Append(Batch(1), 0).FirstOffset);
    }

    [Fact]
    public void Truncate_to_removes_batches_at_and_after_the_offset_in_any_segment()
    {
        Gen.Select(Gen.Int[1, 30], Gen.Double[0, 1]).Sample((batches, where) =>
        {
            using var dir = new TempDirectory();
            var config = new LogConfig { SegmentBytes = 700, IndexIntervalBytes = 100, RetentionMs = -1 };
            var placed = new List<(long Base, long Next)>();
            using (var log = PartitionLog.Open(dir.Path, config))
            {
                for (var i = 0; i < batches; i++)
                {
                    var r = log.Append(Batch(1 + (i % 3), 120), 0);
                    placed.Add((r.FirstOffset, r.LastOffset + 1));
                }

                var target = (long)(where * log.LogEndOffset);
                log.TruncateTo(target);
                var kept = placed.Where(p => p.Next <= target).ToList();
                var expectedEnd = kept.Count == 0 ? target : kept[^1].Next;
                Assert.Equal(expectedEnd, log.LogEndOffset);
                Assert.Equal(kept.Select(k => k.Base), Headers(ReadAll(log)).Select(h => h.BaseOffset));
                Assert.True(log.RecoveryPoint <= expectedEnd);

                var next = log.Append(Batch(2), 0);
                Assert.Equal(expectedEnd, next.FirstOffset);
                placed = [.. kept, (next.FirstOffset, next.LastOffset + 1)];
            }

            using var reopened = PartitionLog.Open(dir.Path, config);
            Assert.Equal(placed.Select(k => k.Base), Headers(ReadAll(reopened)).Select(h => h.BaseOffset));
            Assert.Equal(placed[^1].Next, reopened.LogEndOffset);
        }, iter: 60);
    }

    [Fact]
    public void Truncate_fully_restarts_the_log_at_the_given_offset()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { SegmentBytes = 500, RetentionMs = -1 });
        for (var i = 0; i < 5; i++)
        {
            log.Append(Batch(2, 150), 0);
        }

        log.TruncateFullyAndStartAt(1000);
        Assert.Equal(1000, log.LogStartOffset);
        Assert.Equal(1000, log.LogEndOffset);
        Assert.Single(log.Segments);
        Assert.Equal(1000, log.Append(Batch(1), 0).FirstOffset);
    }

    [Fact]
    public void Truncating_the_batch_that_holds_the_log_start_restarts_the_log_there()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        log.Append(Batch(3), 0); // 0..2
        log.Append(Batch(3), 0); // 3..5
        log.DeleteRecordsBefore(4);
        log.TruncateTo(5);
        Assert.Equal(4, log.LogStartOffset);
        Assert.Equal(4, log.LogEndOffset);
        Assert.Equal(4, log.Append(Batch(1), 0).FirstOffset);
    }
}
