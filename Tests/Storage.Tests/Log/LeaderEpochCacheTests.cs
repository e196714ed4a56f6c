using CsCheck;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using static Orleans.Kafka.Storage.Tests.Log.LogTestSupport;

namespace Orleans.Kafka.Storage.Tests.Log;

public class LeaderEpochCacheTests
{
    private const string FileName = "leader-epoch-checkpoint";

    private static (int, long)[] Entries(LeaderEpochCache cache) => [.. cache.Entries];

    private static string FileText(TempDirectory dir) => File.ReadAllText(Path.Combine(dir.Path, FileName));

    /// <summary>A cache holding the given entries, assigned in order.</summary>
    private static LeaderEpochCache With(TempDirectory dir, params (int Epoch, long Start)[] entries)
    {
        var cache = LeaderEpochCache.Load(dir.Path);
        foreach (var (epoch, start) in entries)
        {
            cache.Assign(epoch, start);
        }

        return cache;
    }

    [Fact]
    public void Empty_directory_loads_an_empty_cache_without_writing_a_file()
    {
        using var dir = new TempDirectory();
        var cache = LeaderEpochCache.Load(dir.Path);
        Assert.Equal(-1, cache.LatestEpoch);
        Assert.Null(cache.LatestStartOffset);
        Assert.Empty(cache.Entries);
        Assert.Equal(LeaderEpochCacheOrigin.Empty, cache.Origin);
        Assert.False(File.Exists(Path.Combine(dir.Path, FileName)));
    }

    [Fact]
    public void Assign_appends_higher_epochs_and_writes_kafkas_checkpoint_format()
    {
        using var dir = new TempDirectory();
        var cache = With(dir, (0, 0), (1, 100), (3, 250));
        Assert.Equal([(0, 0L), (1, 100L), (3, 250L)], Entries(cache));
        Assert.Equal(3, cache.LatestEpoch);
        Assert.Equal(250, cache.LatestStartOffset);
        Assert.Equal("0\n3\n0 0\n1 100\n3 250\n", FileText(dir));
    }

    [Fact]
    public void Assign_of_the_latest_epoch_at_a_later_offset_changes_nothing_and_does_not_rewrite()
    {
        using var dir = new TempDirectory();
        var cache = With(dir, (0, 0), (2, 50));
        var path = Path.Combine(dir.Path, FileName);
        File.SetLastWriteTimeUtc(path, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        cache.Assign(2, 80);
        cache.Assign(2, 50);
        Assert.Equal([(0, 0L), (2, 50L)], Entries(cache));
        Assert.Equal(new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void Assign_of_the_latest_epoch_at_an_earlier_offset_keeps_the_earlier_offset()
    {
        using var dir = new TempDirectory();
        var cache = With(dir, (0, 0), (2, 50));
        cache.Assign(2, 40);
        Assert.Equal([(0, 0L), (2, 40L)], Entries(cache));
        Assert.Equal("0\n2\n0 0\n2 40\n", FileText(dir));
    }

    [Fact]
    public void Assign_of_a_higher_epoch_below_earlier_start_offsets_removes_the_entries_it_supersedes()
    {
        using var dir = new TempDirectory();
        var cache = With(dir, (0, 0), (1, 100), (2, 200));
        cache.Assign(5, 150);
        Assert.Equal([(0, 0L), (1, 100L), (5, 150L)], Entries(cache));

        // At the same offset as an existing entry: that entry had no data, it goes.
        cache.Assign(6, 150);
        Assert.Equal([(0, 0L), (1, 100L), (6, 150L)], Entries(cache));
    }

    [Fact]
    public void Assign_of_a_lower_epoch_replaces_the_higher_ones_as_kafka_does()
    {
        // Kafka (since 2.x) trusts the newest assignment: entries with a higher or equal epoch, or a
        // start at or after the new one, are removed from the end.
        using var dir = new TempDirectory();
        var cache = With(dir, (0, 0), (2, 100), (4, 200));
        cache.Assign(3, 300);
        Assert.Equal([(0, 0L), (2, 100L), (3, 300L)], Entries(cache));
        Assert.Equal([(0, 0L), (2, 100L), (3, 300L)], Entries(LeaderEpochCache.Load(dir.Path)));
    }

    [Fact]
    public void Assign_rejects_negative_epochs_and_offsets()
    {
        using var dir = new TempDirectory();
        var cache = LeaderEpochCache.Load(dir.Path);
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Assign(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Assign(0, -1));
        Assert.Empty(cache.Entries);
    }

    [Fact]
    public void Entries_survive_reload()
    {
        using var dir = new TempDirectory();
        With(dir, (1, 0), (4, 10), (9, 1_000_000_000_000));
        var reloaded = LeaderEpochCache.Load(dir.Path);
        Assert.Equal([(1, 0L), (4, 10L), (9, 1_000_000_000_000L)], Entries(reloaded));
        Assert.Equal(LeaderEpochCacheOrigin.Checkpoint, reloaded.Origin);
    }

    [Fact]
    public void A_leftover_temp_file_is_ignored_and_replaced_by_the_next_write()
    {
        using var dir = new TempDirectory();
        With(dir, (0, 0), (1, 10));
        var temp = Path.Combine(dir.Path, FileName + ".tmp");
        File.WriteAllText(temp, "0\n1\n7 7"); // a write that crashed before its rename

        var cache = LeaderEpochCache.Load(dir.Path);
        Assert.Equal([(0, 0L), (1, 10L)], Entries(cache));

        cache.Assign(2, 20);
        Assert.False(File.Exists(temp));
        Assert.Equal([(0, 0L), (1, 10L), (2, 20L)], Entries(LeaderEpochCache.Load(dir.Path)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1\n0\n")]
    [InlineData("0\n")]
    [InlineData("0\n2\n0 0\n")]
    [InlineData("0\n1\n0 0\n1 10\n")]
    [InlineData("0\n1\n0\n")]
    [InlineData("0\n1\nzero 0\n")]
    [InlineData("0\n1\n0 -5\n")]
    [InlineData("0\n-1\n")]
    [InlineData("\0\0\0\0garbage")]
    public void Garbled_file_fails_load_with_corrupt_checkpoint(string text)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, FileName), text);
        var error = Assert.Throws<LogException>(() => LeaderEpochCache.Load(dir.Path));
        Assert.Equal(LogErrorKind.CorruptCheckpoint, error.Kind);
        Assert.Contains(FileName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Crlf_and_no_final_newline_are_accepted()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, FileName), "0\r\n2\r\n0 0\r\n3 40");
        Assert.Equal([(0, 0L), (3, 40L)], Entries(LeaderEpochCache.Load(dir.Path)));
    }

    [Fact]
    public void EpochAt_answers_the_epoch_of_the_entry_holding_the_offset()
    {
        using var dir = new TempDirectory();
        var cache = With(dir, (2, 10), (5, 20), (7, 40));
        Assert.Equal(-1, cache.EpochAt(9));
        Assert.Equal(2, cache.EpochAt(10));
        Assert.Equal(2, cache.EpochAt(19));
        Assert.Equal(5, cache.EpochAt(20));
        Assert.Equal(5, cache.EpochAt(39));
        Assert.Equal(7, cache.EpochAt(40));
        Assert.Equal(7, cache.EpochAt(1_000));
        Assert.Equal(-1, LeaderEpochCache.Load(Path.Combine(dir.Path, "none")).EpochAt(0));
    }

    [Fact]
    public void EndOffsetFor_follows_kafkas_endOffsetFor()
    {
        using var dir = new TempDirectory();
        var cache = With(dir, (2, 10), (5, 20), (7, 40));
        const long logEnd = 55;

        Assert.Equal((-1, -1L), cache.EndOffsetFor(-1, logEnd)); // UNDEFINED_EPOCH
        Assert.Equal((7, logEnd), cache.EndOffsetFor(7, logEnd)); // the latest epoch ends at the log end
        Assert.Equal((-1, -1L), cache.EndOffsetFor(8, logEnd)); // above the latest: unknown
        Assert.Equal((5, 40L), cache.EndOffsetFor(5, logEnd)); // ends where the next epoch starts
        Assert.Equal((5, 40L), cache.EndOffsetFor(6, logEnd)); // largest epoch <= requested
        Assert.Equal((2, 20L), cache.EndOffsetFor(3, logEnd));
        Assert.Equal((2, 20L), cache.EndOffsetFor(2, logEnd));
        Assert.Equal((1, 10L), cache.EndOffsetFor(1, logEnd)); // below the first: requested, first start
        Assert.Equal((0, 10L), cache.EndOffsetFor(0, logEnd));
    }

    [Fact]
    public void EndOffsetFor_on_an_empty_cache_is_undefined()
    {
        using var dir = new TempDirectory();
        var cache = LeaderEpochCache.Load(dir.Path);
        Assert.Equal((-1, -1L), cache.EndOffsetFor(0, 10));
        Assert.Equal((-1, -1L), cache.EndOffsetFor(-1, 10));
    }

    [Fact]
    public void TruncateFromEnd_removes_entries_starting_at_or_after_the_new_end_and_persists()
    {
        using var dir = new TempDirectory();
        var cache = With(dir, (0, 0), (1, 10), (2, 20), (3, 30));
        cache.TruncateFromEnd(31);
        Assert.Equal(4, cache.Entries.Count);
        cache.TruncateFromEnd(20);
        Assert.Equal([(0, 0L), (1, 10L)], Entries(cache));
        Assert.Equal([(0, 0L), (1, 10L)], Entries(LeaderEpochCache.Load(dir.Path)));
        cache.TruncateFromEnd(-1); // Kafka ignores a negative end
        Assert.Equal(2, cache.Entries.Count);
        cache.TruncateFromEnd(0);
        Assert.Empty(cache.Entries);
        Assert.Equal("0\n0\n", FileText(dir));
    }

    [Fact]
    public void TruncateFromStart_drops_entries_below_and_moves_the_one_in_force_up()
    {
        using var dir = new TempDirectory();
        var cache = With(dir, (0, 0), (1, 10), (2, 20), (3, 30));
        cache.TruncateFromStart(15);
        Assert.Equal([(1, 15L), (2, 20L), (3, 30L)], Entries(cache));
        Assert.Equal([(1, 15L), (2, 20L), (3, 30L)], Entries(LeaderEpochCache.Load(dir.Path)));

        cache.TruncateFromStart(20); // an entry starting exactly there stays
        Assert.Equal([(2, 20L), (3, 30L)], Entries(cache));
        cache.TruncateFromStart(5); // below the first entry: nothing
        Assert.Equal([(2, 20L), (3, 30L)], Entries(cache));
        cache.TruncateFromStart(500);
        Assert.Equal([(3, 500L)], Entries(cache));
    }

    [Fact]
    public void Clear_empties_and_persists()
    {
        using var dir = new TempDirectory();
        var cache = With(dir, (0, 0), (1, 10));
        cache.Clear();
        Assert.Empty(cache.Entries);
        Assert.Equal(-1, cache.LatestEpoch);
        Assert.Empty(LeaderEpochCache.Load(dir.Path).Entries);
        cache.Assign(4, 77);
        Assert.Equal([(4, 77L)], Entries(LeaderEpochCache.Load(dir.Path)));
    }

    [Fact]
    public void AssignFromBatches_assigns_each_batch_epoch_at_its_base_offset()
    {
        using var dir = new TempDirectory();
        var cache = LeaderEpochCache.Load(dir.Path);
        var a = Leader(Batch(3), 0, 1);
        var b = Leader(Batch(2), 3, 1);
        var c = Leader(Batch(2), 5, 4);
        var noEpoch = Leader(Batch(1), 7, -1);
        cache.AssignFromBatches([.. a, .. b, .. c, .. noEpoch]);
        Assert.Equal([(1, 0L), (4, 5L)], Entries(cache));
        Assert.Equal([(1, 0L), (4, 5L)], Entries(LeaderEpochCache.Load(dir.Path)));
    }

    [Fact]
    public void Rebuild_reads_the_epochs_of_a_log_written_across_several_leaders()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1, SegmentBytes = 4096 });
        WriteEpochs(log, (0, 5), (0, 5), (2, 7), (3, 4), (3, 9));

        var cache = LeaderEpochCache.Rebuild(log);
        Assert.Equal(LeaderEpochCacheOrigin.Rebuilt, cache.Origin);
        Assert.True(log.Segments.Count > 1);
        Assert.Equal([(0, 0L), (2, 10L), (3, 17L)], Entries(cache));
        Assert.Equal([(0, 0L), (2, 10L), (3, 17L)], Entries(LeaderEpochCache.Load(dir.Path)));
    }

    [Fact]
    public void Rebuild_starts_at_the_log_start_offset()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        WriteEpochs(log, (1, 5), (1, 5), (2, 5));
        log.DeleteRecordsBefore(7); // inside epoch 1's second batch

        Assert.Equal([(1, 7L), (2, 10L)], Entries(LeaderEpochCache.Rebuild(log)));
    }

    [Fact]
    public void Open_rebuilds_a_missing_file_for_a_log_with_data()
    {
        using var dir = new TempDirectory();
        using (var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 }))
        {
            WriteEpochs(log, (3, 4), (5, 6));
        }

        using var reopened = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        var cache = LeaderEpochCache.Open(reopened);
        Assert.Equal(LeaderEpochCacheOrigin.Rebuilt, cache.Origin);
        Assert.Contains("no leader-epoch-checkpoint", cache.RebuildReason, StringComparison.Ordinal);
        Assert.Equal([(3, 0L), (5, 4L)], Entries(cache));
        Assert.True(File.Exists(Path.Combine(dir.Path, FileName)));
    }

    [Fact]
    public void Open_rebuilds_a_garbled_file_and_says_why()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        WriteEpochs(log, (3, 4), (5, 6));
        File.WriteAllText(Path.Combine(dir.Path, FileName), "0\n9\n1 1\n");

        var cache = LeaderEpochCache.Open(log);
        Assert.Equal(LeaderEpochCacheOrigin.Rebuilt, cache.Origin);
        Assert.Contains("leader-epoch-checkpoint", cache.RebuildReason, StringComparison.Ordinal);
        Assert.Contains("entry 1", cache.RebuildReason, StringComparison.Ordinal);
        Assert.Equal([(3, 0L), (5, 4L)], Entries(LeaderEpochCache.Load(dir.Path)));
    }

    [Fact]
    public void Open_of_an_empty_log_without_a_file_is_empty()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        var cache = LeaderEpochCache.Open(log);
        Assert.Equal(LeaderEpochCacheOrigin.Empty, cache.Origin);
        Assert.Empty(cache.Entries);
    }

    [Fact]
    public void Open_trims_entries_past_the_log_end_and_below_the_log_start()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        WriteEpochs(log, (1, 10), (2, 10));
        log.DeleteRecordsBefore(5);
        // The cache got ahead of the log (the log's tail was lost, the fsynced cache was not).
        With(dir, (1, 0), (2, 10), (3, 20), (4, 25));

        var cache = LeaderEpochCache.Open(log);
        Assert.Equal(LeaderEpochCacheOrigin.Checkpoint, cache.Origin);
        Assert.Equal([(1, 5L), (2, 10L)], Entries(cache));
        Assert.Equal([(1, 5L), (2, 10L)], Entries(LeaderEpochCache.Load(dir.Path)));
    }

    [Fact]
    public void Open_after_a_crash_adds_epochs_the_cache_missed()
    {
        using var dir = new TempDirectory();
        var config = new LogConfig { RetentionMs = -1 };
        var log = PartitionLog.Open(dir.Path, config);
        WriteEpochs(log, (1, 10), (2, 10));
        With(dir, (1, 0)); // crashed after appending epoch 2's batch, before assigning it
        log.Flush();
        log.Abandon(); // no clean-shutdown marker, as after a kill

        using var reopened = PartitionLog.Open(dir.Path, config);
        Assert.False(reopened.OpenedAfterCleanShutdown);
        Assert.Equal([(1, 0L), (2, 10L)], Entries(LeaderEpochCache.Open(reopened)));
    }

    [Fact]
    public void Open_of_an_empty_checkpoint_beside_data_reads_the_epochs_from_the_batches()
    {
        using var dir = new TempDirectory();
        using (var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 }))
        {
            LeaderEpochCache.Open(log).Clear();
            WriteEpochs(log, (2, 3), (4, 3));
        }

        using var reopened = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        Assert.True(reopened.OpenedAfterCleanShutdown);
        var cache = LeaderEpochCache.Open(reopened);
        Assert.Equal(LeaderEpochCacheOrigin.Checkpoint, cache.Origin);
        Assert.Equal([(2, 0L), (4, 3L)], Entries(cache));
    }

    [Fact]
    public void Follower_flow_truncate_then_append_keeps_cache_and_log_in_step()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, new LogConfig { RetentionMs = -1 });
        var cache = LeaderEpochCache.Open(log);
        foreach (var batch in new[] { Leader(Batch(5), 0, 1), Leader(Batch(5), 5, 2) })
        {
            log.AppendAsFollower(batch);
            cache.AssignFromBatches(batch);
        }

        // The new leader says epoch 1 ended at 5 (its epoch 2 never existed): truncate there.
        log.TruncateTo(5);
        cache.TruncateFromEnd(log.LogEndOffset);
        var replacement = Leader(Batch(3), 5, 3);
        log.AppendAsFollower(replacement);
        cache.AssignFromBatches(replacement);
        Assert.Equal([(1, 0L), (3, 5L)], Entries(cache));
        Assert.Equal((1, 5L), cache.EndOffsetFor(2, log.LogEndOffset));

        log.TruncateFullyAndStartAt(100);
        cache.Clear();
        var fresh = Leader(Batch(2), 100, 6);
        log.AppendAsFollower(fresh);
        cache.AssignFromBatches(fresh);
        Assert.Equal([(6, 100L)], Entries(LeaderEpochCache.Open(log)));
    }

    [Fact]
    public void Any_sequence_of_operations_keeps_entries_strictly_increasing_and_the_file_in_step()
    {
        // (kind, epoch, offset): 0-2 assign, 3 truncate from end, 4 truncate from start, 5 clear.
        var op = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 12], Gen.Long[0, 200]);
        op.Array[1, 30].Sample(ops =>
        {
            using var dir = new TempDirectory();
            var cache = LeaderEpochCache.Load(dir.Path);
            foreach (var (kind, epoch, offset) in ops)
            {
                switch (kind)
                {
                    case <= 2: cache.Assign(epoch, offset); break;
                    case 3: cache.TruncateFromEnd(offset); break;
                    case 4: cache.TruncateFromStart(offset); break;
                    default: cache.Clear(); break;
                }

                var entries = cache.Entries;
                for (var i = 1; i < entries.Count; i++)
                {
                    Assert.True(entries[i].Epoch > entries[i - 1].Epoch && entries[i].StartOffset > entries[i - 1].StartOffset);
                }

                if (kind <= 2)
                {
                    // The assigned epoch is now the latest, from the offset given or an earlier one it already had.
                    Assert.Equal(epoch, entries[^1].Epoch);
                    Assert.True(entries[^1].StartOffset <= offset);
                }
            }

            Assert.Equal(Entries(cache), Entries(LeaderEpochCache.Load(dir.Path)));
        }, iter: 100);
    }

    /// <summary>Leader appends of <c>records</c> records per call under each epoch, in order.</summary>
    private static void WriteEpochs(PartitionLog log, params (int Epoch, int Records)[] appends)
    {
        foreach (var (epoch, records) in appends)
        {
            log.Append(Batch(records, valueSize: 200), epoch);
        }
    }

    /// <summary>A batch as a leader stored it: base offset and epoch set.</summary>
    private static byte[] Leader(byte[] batch, long baseOffset, int epoch)
    {
        RecordBatch.SetBaseOffset(batch, baseOffset);
        RecordBatch.SetPartitionLeaderEpoch(batch, epoch);
        return batch;
    }
}
