using Orleans.Kafka.Storage.Producers;
using Orleans.Kafka.Storage.Records;
using static Orleans.Kafka.Grains.Tests.Producers.TrackedLog;

namespace Orleans.Kafka.Grains.Tests.Producers;

public sealed class ProducerStateTrackerTests
{
    private const long Pid = 4000;

    [Fact]
    public void Batches_in_sequence_are_accepted_and_a_batch_without_producer_is_never_checked()
    {
        using var log = new TrackedLog();
        Assert.Equal((0L, 2L), log.ProduceOk(Batch(Pid, 0, 0, count: 3)));
        Assert.Equal((3L, 3L), log.ProduceOk(Batch(Pid, 0, 3)));
        Assert.Equal((4L, 4L), log.ProduceOk(Batch(-1, -1, -1)));
        Assert.Equal((5L, 6L), log.ProduceOk(Batch(Pid, 0, 4, count: 2)));
        Assert.Equal(5, log.Tracker.Producers[Pid].LastSequence);
        Assert.Equal(7, log.Tracker.NextOffset);
    }

    [Fact]
    public void Duplicate_of_one_of_the_last_five_batches_gets_its_original_offsets_and_is_not_appended()
    {
        using var log = new TrackedLog();
        var batches = Enumerable.Range(0, 6).Select(i => Batch(Pid, 0, i * 2, count: 2)).ToList();
        var offsets = batches.Select(log.ProduceOk).ToList();

        for (var i = 1; i < 6; i++)
        {
            var (check, first, last) = log.Produce(batches[i]);
            Assert.Equal(ProducerAppendStatus.Duplicate, check.Status);
            Assert.Equal(offsets[i], (first, last));
        }

        // The oldest batch fell out of the five kept: it is neither a duplicate nor next in line.
        Assert.Equal(ProducerAppendStatus.OutOfOrderSequence, log.Check(batches[0]).Status);
        Assert.Equal(12, log.Log.LogEndOffset);
    }

    [Fact]
    public void Sequence_gap_is_out_of_order()
    {
        using var log = new TrackedLog();
        log.ProduceOk(Batch(Pid, 0, 0, count: 2));
        var check = log.Check(Batch(Pid, 0, 3));
        Assert.Equal(ProducerAppendStatus.OutOfOrderSequence, check.Status);
        Assert.Equal(-1, check.DuplicateFirstOffset);
        Assert.NotNull(check.Message);
    }

    [Fact]
    public void Older_epoch_is_fenced_and_a_new_epoch_must_start_at_sequence_zero()
    {
        using var log = new TrackedLog();
        log.ProduceOk(Batch(Pid, 1, 0));
        Assert.Equal(ProducerAppendStatus.InvalidProducerEpoch, log.Check(Batch(Pid, 0, 1)).Status);
        Assert.Equal(ProducerAppendStatus.OutOfOrderSequence, log.Check(Batch(Pid, 2, 5)).Status);
        log.ProduceOk(Batch(Pid, 2, 0));
        Assert.Equal(ProducerAppendStatus.InvalidProducerEpoch, log.Check(Batch(Pid, 1, 1)).Status);
    }

    [Fact]
    public void Unknown_producer_with_non_zero_sequence_is_unknown_producer_id()
    {
        using var log = new TrackedLog();
        Assert.Equal(ProducerAppendStatus.UnknownProducerId, log.Check(Batch(Pid, 0, 7)).Status);
        Assert.Equal(ProducerAppendStatus.Ok, log.Check(Batch(Pid, 3, 0)).Status);
    }

    [Fact]
    public void Check_changes_nothing()
    {
        using var log = new TrackedLog();
        log.ProduceOk(Batch(Pid, 0, 0));
        var before = Describe(log.Tracker);
        Assert.True(log.Check(Batch(Pid, 0, 1)).IsOk);
        Assert.True(log.Check(Batch(Pid, 0, 1)).IsOk);
        Assert.True(log.Check(Batch(Pid + 1, 0, 0)).IsOk);
        Assert.Equal(before, Describe(log.Tracker));
    }

    [Fact]
    public void Clean_close_snapshots_at_the_log_end_and_the_reloaded_state_is_the_same()
    {
        using var log = new TrackedLog(segmentBytes: 600);
        WriteMixedTraffic(log);
        var before = Describe(log.Tracker);
        var logEnd = log.Log.LogEndOffset;

        log.Restart();

        Assert.Contains(logEnd, log.SnapshotOffsets);
        Assert.Equal(before, Describe(log.Tracker));
        Assert.Equal(logEnd, log.Tracker.NextOffset);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Snapshots_cover_the_log_whether_or_not_batches_without_producer_are_reported(bool reportAll)
    {
        using var log = new TrackedLog(segmentBytes: 600) { ReportBatchesWithoutProducer = reportAll };
        WriteMixedTraffic(log);
        log.ProduceOk(Batch(-1, -1, -1, count: 3)); // the log ends with batches the tracker was not told of
        var before = Describe(log.Tracker);
        var logEnd = log.Log.LogEndOffset;

        log.Restart();

        Assert.Equal(logEnd, log.SnapshotOffsets[^1]);
        Assert.Equal(before, Describe(log.Tracker));
        Assert.Equal(log.Log.Segments.Skip(1).Select(s => s.BaseOffset).Append(logEnd), log.SnapshotOffsets);
    }

    [Fact]
    public void Segment_rolls_write_snapshots_at_the_roll_offsets()
    {
        using var log = new TrackedLog(segmentBytes: 600);
        WriteMixedTraffic(log);
        var rolls = log.Log.Segments.Skip(1).Select(s => s.BaseOffset).ToList();
        Assert.NotEmpty(rolls);
        Assert.Equal(rolls, log.SnapshotOffsets);
    }

    [Fact]
    public void After_a_crash_replay_from_the_last_roll_snapshot_gives_the_same_state()
    {
        using var log = new TrackedLog(segmentBytes: 600);
        WriteMixedTraffic(log);
        var before = Describe(log.Tracker);

        log.RestartWithoutCloseSnapshot();

        Assert.DoesNotContain(log.Log.LogEndOffset, log.SnapshotOffsets);
        Assert.Equal(before, Describe(log.Tracker));
    }

    [Fact]
    public void After_a_crash_without_any_snapshot_replay_of_the_whole_log_gives_the_same_state()
    {
        using var log = new TrackedLog(segmentBytes: 600);
        WriteMixedTraffic(log);
        var before = Describe(log.Tracker);

        log.RestartWithoutCloseSnapshot(() => ProducerStateManager.DeleteSnapshotsAbove(log.Directory, -1));

        Assert.Equal(before, Describe(log.Tracker));
        Assert.Equal(log.Log.LogEndOffset, log.Tracker.NextOffset);
    }

    [Fact]
    public void Duplicates_are_still_recognised_after_a_restart()
    {
        using var log = new TrackedLog();
        var first = Batch(Pid, 0, 0, count: 2);
        var second = Batch(Pid, 0, 2, count: 2);
        log.ProduceOk(first);
        var offsets = log.ProduceOk(second);

        log.RestartWithoutCloseSnapshot();

        var (check, firstOffset, lastOffset) = log.Produce(second);
        Assert.Equal(ProducerAppendStatus.Duplicate, check.Status);
        Assert.Equal(offsets, (firstOffset, lastOffset));
        Assert.Equal(ProducerAppendStatus.OutOfOrderSequence, log.Check(Batch(Pid, 0, 5)).Status);
        Assert.True(log.Check(Batch(Pid, 0, 4)).IsOk);
    }

    [Fact]
    public void Snapshot_above_the_log_end_is_removed_after_truncation()
    {
        using var log = new TrackedLog();
        log.ProduceOk(Batch(Pid, 0, 0, count: 2));
        var kept = log.Log.LogEndOffset;
        log.ProduceOk(Batch(Pid, 0, 2, count: 2));
        var truncatedAway = Batch(Pid, 0, 4, count: 2);
        log.ProduceOk(truncatedAway);
        var oldEnd = log.Log.LogEndOffset;

        log.Restart(() =>
        {
            Assert.Contains(oldEnd, ProducerStateManager.ListSnapshotOffsets(log.Directory));
            using var reopened = Orleans.Kafka.Storage.Log.PartitionLog.Open(log.Directory, new() { SegmentBytes = 1 << 20 }, log.Clock);
            reopened.TruncateTo(kept + 2);
        });

        Assert.DoesNotContain(oldEnd, log.SnapshotOffsets);
        Assert.Equal(kept + 2, log.Log.LogEndOffset);
        Assert.Equal(3, log.Tracker.Producers[Pid].LastSequence);
        // The truncated batch is no longer a duplicate: the producer may (and must) send it again.
        Assert.Equal((kept + 2, kept + 3), log.ProduceOk(truncatedAway));
    }

    [Fact]
    public void Transactional_batches_hold_the_first_unstable_offset_until_the_marker_also_after_replay()
    {
        using var log = new TrackedLog();
        log.ProduceOk(Batch(Pid, 0, 0));
        log.ProduceOk(Batch(Pid + 1, 0, 0, transactional: true));
        log.ProduceOk(Batch(Pid + 1, 0, 1, transactional: true));
        Assert.Equal(1, log.Tracker.FirstUnstableOffset);

        log.RestartWithoutCloseSnapshot(() => ProducerStateManager.DeleteSnapshotsAbove(log.Directory, -1));
        Assert.Equal(1, log.Tracker.FirstUnstableOffset);

        log.WriteMarker(Pid + 1, 0, ControlRecordType.Commit);
        Assert.Null(log.Tracker.FirstUnstableOffset);
        var afterMarker = Describe(log.Tracker);

        log.RestartWithoutCloseSnapshot(() => ProducerStateManager.DeleteSnapshotsAbove(log.Directory, -1));
        Assert.Null(log.Tracker.FirstUnstableOffset);
        Assert.Equal(afterMarker, Describe(log.Tracker));
    }

    [Fact]
    public void Expired_producer_may_resume_with_any_sequence_but_a_never_seen_one_may_not()
    {
        var options = new ProducerStateOptions { ProducerIdExpirationMs = 60_000 };
        using var log = new TrackedLog(options: options);
        log.ProduceOk(Batch(Pid, 0, 0, count: 5));
        log.Clock.Advance(TimeSpan.FromMinutes(2));
        log.ProduceOk(Batch(Pid + 1, 0, 0));

        Assert.Equal(1, log.Tracker.RemoveExpiredProducers());

        Assert.False(log.Tracker.Producers.ContainsKey(Pid));
        Assert.True(log.Check(Batch(Pid, 0, 42)).IsOk);
        Assert.Equal(ProducerAppendStatus.UnknownProducerId, log.Check(Batch(Pid + 2, 0, 42)).Status);
    }

    [Fact]
    public void Expiry_runs_by_itself_from_appends_after_the_check_interval()
    {
        var options = new ProducerStateOptions { ProducerIdExpirationMs = 60_000 };
        using var log = new TrackedLog(options: options);
        log.ProduceOk(Batch(Pid, 0, 0));
        log.Clock.Advance(TimeSpan.FromMilliseconds(Partitions.ProducerStateTracker.ExpirationCheckIntervalMs));
        log.ProduceOk(Batch(Pid + 1, 0, 0));
        Assert.False(log.Tracker.Producers.ContainsKey(Pid));
        Assert.True(log.Tracker.Producers.ContainsKey(Pid + 1));
    }

    [Fact]
    public void Deleting_snapshots_below_the_log_start_keeps_a_snapshot_covering_the_producers()
    {
        using var log = new TrackedLog(segmentBytes: 600);
        WriteMixedTraffic(log);
        var before = Describe(log.Tracker);
        var logEnd = log.Log.LogEndOffset;
        log.Log.DeleteRecordsBefore(logEnd);

        log.Tracker.DeleteSnapshotsBelow(log.Log.LogStartOffset);

        Assert.All(log.SnapshotOffsets, o => Assert.True(o >= log.Log.LogStartOffset));
        Assert.NotEmpty(log.SnapshotOffsets);
        log.RestartWithoutCloseSnapshot();
        Assert.Equal(before, Describe(log.Tracker));
    }

    [Fact]
    public void Without_any_snapshot_and_a_log_start_above_zero_unknown_producers_are_accepted()
    {
        using var log = new TrackedLog(segmentBytes: 600);
        WriteMixedTraffic(log);
        log.Log.DeleteRecordsBefore(log.Log.LogEndOffset);

        log.RestartWithoutCloseSnapshot(() => ProducerStateManager.DeleteSnapshotsAbove(log.Directory, -1));

        // Their state may have gone with the deleted records, so we cannot claim not to know them.
        Assert.True(log.Check(Batch(Pid, 0, 99)).IsOk);
    }

    [Fact]
    public void With_only_a_snapshot_below_the_log_start_unknown_producers_are_accepted()
    {
        using var log = new TrackedLog();
        log.ProduceOk(Batch(Pid, 0, 0));
        log.Restart(); // snapshot at 1
        log.ProduceOk(Batch(-1, -1, -1, count: 4));
        log.Log.DeleteRecordsBefore(3);

        log.RestartWithoutCloseSnapshot();

        Assert.Equal([1L], log.SnapshotOffsets);
        Assert.True(log.Tracker.Producers.ContainsKey(Pid));
        Assert.True(log.Check(Batch(Pid + 5, 0, 99)).IsOk);
    }

    /// <summary>Three idempotent producers (one bumping its epoch), a transactional one, plain batches; several segments.</summary>
    private static void WriteMixedTraffic(TrackedLog log)
    {
        var sequences = new int[3];
        for (var round = 0; round < 8; round++)
        {
            for (var p = 0; p < 3; p++)
            {
                var epoch = (short)(p == 2 && round >= 4 ? 1 : 0);
                if (p == 2 && round == 4)
                {
                    sequences[p] = 0;
                }

                var count = 1 + ((round + p) % 3);
                log.ProduceOk(Batch(Pid + p, epoch, sequences[p], count));
                sequences[p] += count;
            }

            log.ProduceOk(Batch(-1, -1, -1, count: 2));
        }

        log.ProduceOk(Batch(Pid + 10, 0, 0, transactional: true));
    }
}
