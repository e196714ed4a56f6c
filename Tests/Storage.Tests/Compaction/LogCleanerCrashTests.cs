using Orleans.Kafka.Storage.Compaction;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Tests.Log;
using static Orleans.Kafka.Storage.Tests.Compaction.CompactionTestSupport;

namespace Orleans.Kafka.Storage.Tests.Compaction;

public class LogCleanerCrashTests
{
    /// <summary>Segments rolled by hand and far below segment.bytes, so one pass swaps them as one group.</summary>
    private static readonly LogConfig OneGroup = SmallSegments with { SegmentBytes = 1 << 20 };

    private static List<StoredRecord> Fill(PartitionLog log, ManualTime time, int batches, int rollEvery)
    {
        var written = new List<StoredRecord>();
        for (var b = 0; b < batches; b++)
        {
            var writes = Enumerable.Range(0, 3).Select(i => new KeyedWrite("k" + ((b * 3 + i) % 7), $"v{b}-{i}")).ToList();
            var result = log.Append(Batch(writes, time.NowMs, b % 2 == 0 ? CompressionType.None : CompressionType.Snappy), 0);
            written.AddRange(writes.Select((w, i) => new StoredRecord(result.FirstOffset + i, w.Key, w.Value, time.NowMs, false, -1)));
            if (rollEvery > 0 && b % rollEvery == rollEvery - 1)
            {
                log.Roll();
            }
        }

        return written;
    }

    private static string SwapPathFor(string cleanedPath) => cleanedPath[..^LogCleaner.CleanedSuffix.Length] + PartitionLog.SwapSuffix;

    [Fact]
    public async Task A_crash_before_the_swap_commit_point_leaves_the_old_log()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        List<StoredRecord> before;
        var log = PartitionLog.Open(dir.Path, OneGroup, time);
        Fill(log, time, 30, rollEvery: 4);
        before = ReadRecords(log);
        var cleaner = new LogCleaner(log, CleanerConfig.Default, time)
        {
            StageReached = (stage, path) =>
            {
                Assert.True(File.Exists(path));
                throw new IOException("simulated crash before the swap");
            },
        };

        await Assert.ThrowsAsync<IOException>(() => cleaner.CleanAsync());
        log.Abandon();

        using var reopened = PartitionLog.Open(dir.Path, OneGroup, time);
        AssertRecords(before, ReadRecords(reopened));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*" + LogCleaner.CleanedSuffix));
        Assert.Null(CleanerCheckpoint.Read(dir.Path));
    }

    [Fact]
    public async Task A_crash_right_after_the_swap_commit_point_yields_the_cleaned_log_on_reopen()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        var log = PartitionLog.Open(dir.Path, OneGroup, time);
        var written = Fill(log, time, 30, rollEvery: 4);
        var activeBase = ActiveBase(log);
        var cleaner = new LogCleaner(log, CleanerConfig.Default, time)
        {
            // Do what ReplaceSegments does first (the rename to .swap is the commit point), then die.
            StageReached = (stage, path) =>
            {
                File.Move(path, SwapPathFor(path));
                throw new IOException("simulated crash after the commit point");
            },
        };

        await Assert.ThrowsAsync<IOException>(() => cleaner.CleanAsync());
        log.Abandon();

        using var reopened = PartitionLog.Open(dir.Path, OneGroup, time);
        AssertRecords(Model(written, activeBase, tombstonesGone: false), ReadRecords(reopened));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*" + PartitionLog.SwapSuffix));

        // The checkpoint was not written: the next pass cleans again and finds nothing more to drop.
        var again = await new LogCleaner(reopened, CleanerConfig.Default, time).CleanAsync();
        Assert.Equal(again.RecordsRead, again.RecordsRetained);
        AssertRecords(Model(written, activeBase, tombstonesGone: false), ReadRecords(reopened));
    }

    [Fact]
    public async Task A_crash_while_the_old_segments_are_being_deleted_yields_the_cleaned_log_on_reopen()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        var log = PartitionLog.Open(dir.Path, OneGroup, time);
        var written = Fill(log, time, 30, rollEvery: 4);
        var activeBase = ActiveBase(log);
        var replaced = log.Segments.Where(s => !s.IsActive).ToList();
        var cleaner = new LogCleaner(log, CleanerConfig.Default, time)
        {
            // Past the commit point, half of the old segments' files are gone when the process dies.
            StageReached = (stage, path) =>
            {
                File.Move(path, SwapPathFor(path));
                foreach (var segment in replaced.Take(replaced.Count / 2))
                {
                    File.Delete(segment.LogPath);
                    File.Delete(Path.ChangeExtension(segment.LogPath, ".index"));
                }

                throw new IOException("simulated crash mid-swap");
            },
        };

        await Assert.ThrowsAsync<IOException>(() => cleaner.CleanAsync());
        log.Abandon();

        using var reopened = PartitionLog.Open(dir.Path, OneGroup, time);
        AssertRecords(Model(written, activeBase, tombstonesGone: false), ReadRecords(reopened));
        Assert.Equal(replaced[0].BaseOffset, reopened.Segments[0].BaseOffset);
        Assert.Equal(2, reopened.Segments.Count);
    }

    [Fact]
    public async Task A_crash_between_group_swaps_leaves_a_validly_compacted_log()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        var log = PartitionLog.Open(dir.Path, SmallSegments, time);
        var written = Fill(log, time, 60, rollEvery: 0);
        var activeBase = ActiveBase(log);
        var swaps = 0;
        var cleaner = new LogCleaner(log, CleanerConfig.Default, time)
        {
            StageReached = (stage, path) =>
            {
                if (stage == CleanerStage.BeforeSwap && ++swaps == 2)
                {
                    throw new IOException("simulated crash between groups");
                }
            },
        };

        await Assert.ThrowsAsync<IOException>(() => cleaner.CleanAsync());
        log.Abandon();

        using var reopened = PartitionLog.Open(dir.Path, SmallSegments, time);
        var actual = ReadRecords(reopened);
        // Every record is one that was written, at its offset; every key's newest is there.
        Assert.Empty(actual.Except(written));
        Assert.Empty(Model(written, activeBase, tombstonesGone: false).Except(actual));
        Assert.True(actual.Count < written.Count);
    }

    [Fact]
    public async Task Cleaned_groups_respect_segment_index_bytes()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        // Tiny indexes: each segment's entries fit, but a group of all of them would not.
        var config = SmallSegments with { SegmentBytes = 1 << 20, IndexIntervalBytes = 0, SegmentIndexBytes = 12 * 16 };
        var written = new List<StoredRecord>();
        long activeBase;
        using (var log = PartitionLog.Open(dir.Path, config, time))
        {
            // Unique keys: nothing is dropped, so merged segments would need every index entry.
            for (var b = 0; b < 100; b++)
            {
                var writes = Enumerable.Range(0, 2).Select(i => new KeyedWrite($"u{b}-{i}", "v")).ToList();
                var appended = log.Append(Batch(writes, time.NowMs), 0);
                written.AddRange(writes.Select((w, i) => new StoredRecord(appended.FirstOffset + i, w.Key, w.Value, time.NowMs, false, -1)));
            }

            activeBase = ActiveBase(log);
            var segments = log.Segments.Select(s => s.BaseOffset).ToList();
            Assert.True(segments.Count > 3);
            await new LogCleaner(log, CleanerConfig.Default, time).CleanAsync();
            // Merging any two would overflow segment.index.bytes: every segment stays its own group.
            Assert.Equal(segments, log.Segments.Select(s => s.BaseOffset));
            AssertRecords(written, ReadRecords(log));
        }

        // A crash-style open rescans every segment and rebuilds its indexes.
        File.Delete(Path.Combine(dir.Path, ".kafka_cleanshutdown"));
        File.Delete(Path.Combine(dir.Path, "recovery-point-offset-checkpoint"));
        using var reopened = PartitionLog.Open(dir.Path, config, time);
        AssertRecords(written, ReadRecords(reopened));
        Assert.Equal(activeBase, ActiveBase(reopened));
    }

    [Fact]
    public async Task Appends_and_reads_during_cleaning_see_consistent_data()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, SmallSegments, time);
        var cleaner = new LogCleaner(log, new CleanerConfig { MinCleanableDirtyRatio = 0.2 }, time);

        // Offsets are known in advance: one writer appends from offset 0.
        var batches = new List<byte[]>();
        var written = new List<StoredRecord>();
        for (var b = 0; b < 400; b++)
        {
            var writes = Enumerable.Range(0, 4).Select(i => new KeyedWrite("k" + ((b * 7 + i * 3) % 40), i == 3 && b % 5 == 0 ? null : $"v{b}-{i}")).ToList();
            batches.Add(Batch(writes, time.NowMs, b % 3 == 0 ? CompressionType.Lz4 : CompressionType.None));
            written.AddRange(writes.Select((w, i) => new StoredRecord(written.Count, w.Key, w.Value, time.NowMs, false, -1)));
        }

        var byOffset = written.ToDictionary(r => r.Offset);
        var writing = true;
        var reads = 0;
        var cleans = 0;
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < batches.Count; i++)
            {
                log.Append(batches[i], 0);
                if (i % 50 == 49)
                {
                    // Let a read and a cleaning pass overlap the appends before writing on.
                    var (r, c) = (Volatile.Read(ref reads), Volatile.Read(ref cleans));
                    var deadline = DateTime.UtcNow.AddSeconds(30);
                    while (Volatile.Read(ref reads) == r || Volatile.Read(ref cleans) == c)
                    {
                        Assert.True(DateTime.UtcNow < deadline, "reader or cleaner made no progress");
                        await Task.Yield();
                    }
                }
            }

            Volatile.Write(ref writing, false);
        });
        var reader = Task.Run(() =>
        {
            do
            {
                foreach (var record in ReadRecords(log))
                {
                    Assert.Equal(byOffset[record.Offset], record);
                }

                Interlocked.Increment(ref reads);
            }
            while (Volatile.Read(ref writing));
        });
        var passes = 0;
        do
        {
            if ((await cleaner.CleanAsync()).Cleaned)
            {
                passes++;
            }

            Interlocked.Increment(ref cleans);
        }
        while (Volatile.Read(ref writing));

        await Task.WhenAll(writer, reader);
        var last = await cleaner.CleanAsync(force: true);
        Assert.True(passes >= 2, $"{passes} passes cleaned during the appends");
        Assert.True(reads >= 8);
        AssertRecords(Model(written, last.CleanedUpTo, tombstonesGone: false), ReadRecords(log));
    }

    [Fact]
    public async Task A_second_clean_request_while_one_runs_joins_it()
    {
        using var dir = new TempDirectory();
        var time = new ManualTime();
        using var log = PartitionLog.Open(dir.Path, OneGroup, time);
        Fill(log, time, 20, rollEvery: 3);
        using var release = new ManualResetEventSlim();
        var cleaner = new LogCleaner(log, CleanerConfig.Default, time)
        {
            StageReached = (stage, _) =>
            {
                if (stage == CleanerStage.BeforeSwap)
                {
                    Assert.True(release.Wait(TimeSpan.FromSeconds(30)));
                }
            },
        };

        var first = cleaner.CleanAsync();
        var second = cleaner.CleanAsync();
        Assert.Same(first, second);
        release.Set();
        Assert.True((await first).Cleaned);
    }
}
