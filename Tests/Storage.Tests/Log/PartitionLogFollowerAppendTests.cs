using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using static Orleans.Kafka.Storage.Tests.Log.LogTestSupport;

namespace Orleans.Kafka.Storage.Tests.Log;

/// <summary>What a follower replica needs from <see cref="PartitionLog.AppendAsFollower"/>.</summary>
public class PartitionLogFollowerAppendTests
{
    private static readonly LogConfig Config = new() { RetentionMs = -1 };

    /// <summary>A batch as the leader stored it: base offset and epoch set.</summary>
    private static byte[] Leader(byte[] batch, long baseOffset, int epoch)
    {
        RecordBatch.SetBaseOffset(batch, baseOffset);
        RecordBatch.SetPartitionLeaderEpoch(batch, epoch);
        return batch;
    }

    [Fact]
    public void Follower_append_of_concatenated_batches_keeps_offsets_epochs_and_bytes()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, Config);
        var a = Leader(Batch(3), 0, 4);
        var b = Leader(Batch(2, codec: CompressionType.Lz4), 3, 4);
        var c = Leader(Batch(4), 5, 7);
        byte[] fetched = [.. a, .. b, .. c];

        var result = log.AppendAsFollower(fetched);

        Assert.Equal(0, result.FirstOffset);
        Assert.Equal(8, result.LastOffset);
        Assert.Equal(9, log.LogEndOffset);
        var stored = ReadAll(log);
        Assert.Equal(fetched, stored);
        Assert.Equal([4, 4, 7], Headers(stored).Select(h => h.PartitionLeaderEpoch));
        Assert.Equal([0L, 3L, 5L], Headers(stored).Select(h => h.BaseOffset));
    }

    [Fact]
    public void Follower_append_below_the_log_end_is_rejected_as_non_monotonic_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, Config);
        log.AppendAsFollower(Leader(Batch(5), 0, 1));
        var before = ReadAll(log);

        var error = Assert.Throws<LogException>(() => log.AppendAsFollower(Leader(Batch(2), 4, 1)));
        Assert.Equal(LogErrorKind.NonMonotonicOffset, error.Kind);

        // A good first batch does not let an overlapping second one through.
        byte[] overlapping = [.. Leader(Batch(2), 5, 1), .. Leader(Batch(2), 6, 1)];
        Assert.Equal(LogErrorKind.NonMonotonicOffset, Assert.Throws<LogException>(() => log.AppendAsFollower(overlapping)).Kind);

        Assert.Equal(5, log.LogEndOffset);
        Assert.Equal(before, ReadAll(log));
    }

    [Fact]
    public void Follower_append_past_the_log_end_is_accepted_like_a_compacted_leaders_gap()
    {
        // Kafka rejects only a first offset below the log end (UnexpectedAppendOffsetException): a
        // compacted leader legitimately sends batches with offset gaps.
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, Config);
        log.AppendAsFollower(Leader(Batch(2), 0, 1));
        log.AppendAsFollower(Leader(Batch(2), 10, 1));
        Assert.Equal(12, log.LogEndOffset);
        Assert.Equal([0L, 10L], Headers(ReadAll(log)).Select(h => h.BaseOffset));
    }

    [Fact]
    public void Follower_append_rejects_a_bad_crc_as_corrupt_message_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, Config);
        var good = Leader(Batch(2), 0, 1);
        var bad = Leader(Batch(2), 2, 1);
        bad[^1] ^= 0x5A;

        var error = Assert.Throws<LogException>(() => log.AppendAsFollower((byte[])[.. good, .. bad]));
        Assert.Equal(LogErrorKind.CorruptMessage, error.Kind);
        Assert.Equal(0, log.LogEndOffset);
        Assert.Empty(ReadAll(log));
    }

    [Fact]
    public void Follower_append_continues_after_TruncateTo()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, Config);
        var kept = Leader(Batch(5), 0, 1);
        log.AppendAsFollower(kept);
        log.AppendAsFollower(Leader(Batch(5), 5, 2)); // a suffix the new leader never had
        log.TruncateTo(5);
        Assert.Equal(5, log.LogEndOffset);

        var replacement = Leader(Batch(3), 5, 3);
        log.AppendAsFollower(replacement);
        Assert.Equal(8, log.LogEndOffset);
        Assert.Equal([.. kept, .. replacement], ReadAll(log));
    }

    [Fact]
    public void Follower_append_continues_after_TruncateFullyAndStartAt()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, Config);
        log.AppendAsFollower(Leader(Batch(5), 0, 1));
        log.TruncateFullyAndStartAt(1_000);
        Assert.Equal(1_000, log.LogStartOffset);
        Assert.Equal(1_000, log.LogEndOffset);

        Assert.Equal(LogErrorKind.NonMonotonicOffset, Assert.Throws<LogException>(() => log.AppendAsFollower(Leader(Batch(1), 999, 5))).Kind);
        var first = Leader(Batch(2), 1_000, 5);
        log.AppendAsFollower(first);
        Assert.Equal(first, ReadAll(log));
        Assert.Equal(1_002, log.LogEndOffset);
    }

    [Fact]
    public void Follower_append_survives_reopen_with_the_leaders_offsets()
    {
        using var dir = new TempDirectory();
        var fetched = Leader(Batch(4), 40, 9);
        using (var log = PartitionLog.Open(dir.Path, Config))
        {
            log.TruncateFullyAndStartAt(40);
            log.AppendAsFollower(fetched);
        }

        using var reopened = PartitionLog.Open(dir.Path, Config);
        Assert.Equal(40, reopened.LogStartOffset);
        Assert.Equal(44, reopened.LogEndOffset);
        Assert.Equal(fetched, ReadAll(reopened));
    }
}
