using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Storage.Producers;

namespace Orleans.Kafka.Storage.Tests.Producers;

public sealed class ProducerSnapshotTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "okps-" + Guid.NewGuid().ToString("N"));
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private ProducerStateManager Populated()
    {
        var m = new ProducerStateManager(timeProvider: _time);
        for (var i = 0; i < 7; i++)
        {
            m.OnAppended(1, 3, i * 2, (i * 2) + 1, 100 + (i * 2), 101 + (i * 2), 5000 + i, false);
        }

        m.OnAppended(2, 0, 0, 4, 200, 204, 6000, true);
        m.OnAppended(3, 1, 0, 0, 205, 205, 6001, true);
        m.OnControlBatch(3, 1, ControlBatchType.Commit, 206, coordinatorEpoch: 9);
        return m;
    }

    [Fact]
    public void Snapshot_round_trip_restores_producers_batches_and_open_transactions()
    {
        var original = Populated();
        var path = original.TakeSnapshot(_dir, 207);
        Assert.Equal("00000000000000000207.snapshot", Path.GetFileName(path));

        var loaded = new ProducerStateManager(timeProvider: _time);
        var result = loaded.LoadLatestSnapshot(_dir, long.MaxValue);

        Assert.Equal(207, result.SnapshotOffset);
        Assert.Empty(result.SkippedCorruptFiles);
        Assert.Equal(original.FirstUnstableOffset, loaded.FirstUnstableOffset);
        Assert.Equal(200, loaded.FirstUnstableOffset);
        Assert.Equal(original.Producers.Keys.Order(), loaded.Producers.Keys.Order());
        foreach (var (id, expected) in original.Producers)
        {
            var actual = loaded.Producers[id];
            Assert.Equal(expected.Epoch, actual.Epoch);
            Assert.Equal(expected.CoordinatorEpoch, actual.CoordinatorEpoch);
            Assert.Equal(expected.CurrentTransactionFirstOffset, actual.CurrentTransactionFirstOffset);
            Assert.Equal(expected.LastUpdateTimeMs, actual.LastUpdateTimeMs);
            Assert.Equal(expected.Batches, actual.Batches);
        }

        // All five cached batches survive, so retries of any of them are still caught.
        var dup = loaded.CheckAndPrepare(1, 3, 4, 5, false);
        Assert.Equal(ProducerAppendStatus.Duplicate, dup.Status);
        Assert.Equal(104, dup.DuplicateFirstOffset);
        Assert.True(loaded.CheckAndPrepare(1, 3, 14, 14, false).IsOk);
    }

    [Fact]
    public void Empty_state_round_trips()
    {
        new ProducerStateManager().TakeSnapshot(_dir, 0);

        var loaded = new ProducerStateManager();
        Assert.Equal(0, loaded.LoadLatestSnapshot(_dir, 0).SnapshotOffset);
        Assert.Empty(loaded.Producers);
    }

    [Fact]
    public void Load_picks_the_latest_snapshot_at_or_below_the_offset_and_replay_continues_from_it()
    {
        var m = new ProducerStateManager(timeProvider: _time);
        m.OnAppended(1, 0, 0, 0, 0, 0, 0, false);
        m.TakeSnapshot(_dir, 1);
        m.OnAppended(1, 0, 1, 1, 1, 1, 0, false);
        m.TakeSnapshot(_dir, 2);
        m.OnAppended(1, 0, 2, 2, 2, 2, 0, false);
        m.TakeSnapshot(_dir, 3);

        var loaded = new ProducerStateManager(timeProvider: _time);
        Assert.Equal(2, loaded.LoadLatestSnapshot(_dir, 2).SnapshotOffset);
        Assert.Equal(1, loaded.Producers[1].LastSequence);

        // The log replays batch headers from offset 2 on.
        loaded.Apply(1, 0, 2, 2, 2, 2, 0, isTransactional: false, isControl: false);
        Assert.Equal(2, loaded.Producers[1].LastSequence);
        Assert.Equal(ProducerAppendStatus.Duplicate, loaded.CheckAndPrepare(1, 0, 2, 2, false).Status);

        Assert.Null(new ProducerStateManager().LoadLatestSnapshot(_dir, 0).SnapshotOffset);
        Assert.Equal([1L, 2L, 3L], ProducerStateManager.ListSnapshotOffsets(_dir));
    }

    [Fact]
    public void Corrupt_or_truncated_snapshots_are_skipped_for_an_older_intact_one()
    {
        var m = Populated();
        m.TakeSnapshot(_dir, 100);
        var flipped = m.TakeSnapshot(_dir, 200);
        var truncated = m.TakeSnapshot(_dir, 300);
        var empty = m.TakeSnapshot(_dir, 400);
        var bytes = File.ReadAllBytes(flipped);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(flipped, bytes);
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..^3]);
        File.WriteAllBytes(empty, []);
        // A snapshot whose content claims another offset (e.g. copied by hand) is not trusted either.
        File.Copy(Path.Combine(_dir, "00000000000000000100.snapshot"), Path.Combine(_dir, "00000000000000000500.snapshot"));

        var loaded = new ProducerStateManager();
        var result = loaded.LoadLatestSnapshot(_dir, long.MaxValue);

        Assert.Equal(100, result.SnapshotOffset);
        Assert.Equal(4, result.SkippedCorruptFiles.Count);
        Assert.Equal(m.Producers.Count, loaded.Producers.Count);
    }

    [Fact]
    public void Every_single_byte_corruption_is_detected()
    {
        var path = Populated().TakeSnapshot(_dir, 7);
        var good = File.ReadAllBytes(path);
        for (var i = 0; i < good.Length; i++)
        {
            var bad = (byte[])good.Clone();
            bad[i] ^= 0x01;
            File.WriteAllBytes(path, bad);
            Assert.Null(new ProducerStateManager().LoadLatestSnapshot(_dir, long.MaxValue).SnapshotOffset);
        }
    }

    [Fact]
    public void Leftover_temp_snapshot_is_ignored_and_removed()
    {
        Populated().TakeSnapshot(_dir, 10);
        File.WriteAllBytes(Path.Combine(_dir, "00000000000000000020.snapshot.tmp"), [1, 2, 3]);

        Assert.Equal(10, new ProducerStateManager().LoadLatestSnapshot(_dir, long.MaxValue).SnapshotOffset);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Snapshots_below_the_log_start_and_above_a_truncation_point_are_deleted()
    {
        var m = Populated();
        foreach (var offset in new long[] { 10, 20, 30, 40 })
        {
            m.TakeSnapshot(_dir, offset);
        }

        Assert.Equal(2, ProducerStateManager.DeleteSnapshotsBelow(_dir, 30));
        Assert.Equal([30L, 40L], ProducerStateManager.ListSnapshotOffsets(_dir));
        Assert.Equal(1, ProducerStateManager.DeleteSnapshotsAbove(_dir, 35));
        Assert.Equal([30L], ProducerStateManager.ListSnapshotOffsets(_dir));
    }

    [Fact]
    public void Rebuild_from_the_log_by_replay_matches_the_live_state()
    {
        var live = new ProducerStateManager(timeProvider: _time);
        var log = new List<Action<ProducerStateManager>>();
        long offset = 0;
        for (var i = 0; i < 20; i++)
        {
            var pid = i % 3;
            var seq = i / 3;
            var txn = pid == 2;
            var at = offset;
            live.OnAppended(pid, 0, seq, seq, at, at, at, txn);
            log.Add(r => r.Apply(pid, 0, seq, seq, at, at, at, txn, isControl: false));
            offset++;
            if (txn && seq % 2 == 1)
            {
                var markerAt = offset;
                live.OnControlBatch(pid, 0, ControlBatchType.Commit, markerAt);
                log.Add(r => r.Apply(pid, 0, -1, -1, markerAt, markerAt, markerAt, true, isControl: true, ControlBatchType.Commit));
                offset++;
            }
        }

        var rebuilt = new ProducerStateManager(timeProvider: _time);
        log.ForEach(apply => apply(rebuilt));

        Assert.Equal(live.FirstUnstableOffset, rebuilt.FirstUnstableOffset);
        foreach (var (id, entry) in live.Producers)
        {
            Assert.Equal(entry.Batches, rebuilt.Producers[id].Batches);
        }
    }

    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }
}
