using CsCheck;
using Orleans.Kafka.Storage.Compaction;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Storage.Tests.Log;
using static Orleans.Kafka.Storage.Tests.Compaction.CompactionTestSupport;

namespace Orleans.Kafka.Storage.Tests.Compaction;

public class LogCleanerPropertyTests
{
    /// <summary>One produced batch: (key index, tombstone?) records, its codec, whether it is an aborted transaction, whether the log rolls after it.</summary>
    private sealed record Step((int Key, bool Tombstone)[] Records, CompressionType Codec, bool Aborted, bool RollAfter);

    private static readonly Gen<Step> StepGen = Gen.Select(
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, 9]).Select((k, t) => (k, t == 0)).Array[1, 5],
        Gen.OneOfConst(CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd),
        Gen.Int[0, 9],
        Gen.Int[0, 3])
        .Select((records, codec, aborted, roll) => new Step(records, codec, aborted == 0, roll == 0));

    [Fact]
    public void Any_history_cleans_to_the_newest_committed_value_per_key()
    {
        StepGen.Array[1, 40].Sample(steps =>
        {
            using var dir = new TempDirectory();
            var time = new ManualTime();
            using var log = PartitionLog.Open(dir.Path, SmallSegments, time);
            var written = new List<(StoredRecord Record, bool Aborted)>();
            foreach (var step in steps)
            {
                var writes = step.Records.Select((r, i) => new KeyedWrite("k" + r.Key, r.Tombstone ? null : $"v{written.Count + i}")).ToList();
                var appended = step.Aborted
                    ? log.Append(Batch(writes, time.NowMs, step.Codec, producerId: 7, epoch: 0, baseSequence: 0, transactional: true), 0)
                    : log.Append(Batch(writes, time.NowMs, step.Codec), 0);
                written.AddRange(writes.Select((w, i) => (new StoredRecord(appended.FirstOffset + i, w.Key, w.Value, time.NowMs, false, step.Aborted ? 7 : -1), step.Aborted)));
                if (step.Aborted)
                {
                    log.Append(RecordBatchBuilder.BuildControlBatch(ControlRecordType.Abort, 7, 0, 0, time.NowMs), 0, AppendOrigin.Coordinator);
                }

                if (step.RollAfter)
                {
                    log.Roll();
                }
            }

            var cleaner = new LogCleaner(log, new CleanerConfig { DeleteRetentionMs = 100 }, time);
            var first = cleaner.CleanAsync(force: true).GetAwaiter().GetResult();
            AssertRecords(Expected(written, first.CleanedUpTo, tombstonesGone: false), Data(ReadRecords(log)));

            time.Advance(100);
            var second = cleaner.CleanAsync(force: true).GetAwaiter().GetResult();
            AssertRecords(Expected(written, second.CleanedUpTo, tombstonesGone: true), Data(ReadRecords(log)));
        }, iter: 60);
    }

    private static List<StoredRecord> Data(List<StoredRecord> records) => [.. records.Where(r => !r.IsControl)];

    /// <summary>The model: aborted records below the cleaned offset vanish; of the rest, each key keeps its newest.</summary>
    private static List<StoredRecord> Expected(List<(StoredRecord Record, bool Aborted)> written, long cleanedUpTo, bool tombstonesGone)
    {
        var committed = written.Where(w => !w.Aborted || w.Record.Offset >= cleanedUpTo).Select(w => w.Record).ToList();
        var newest = new Dictionary<string, long>();
        foreach (var w in written.Where(w => !w.Aborted && w.Record.Offset < cleanedUpTo))
        {
            newest[w.Record.Key!] = w.Record.Offset;
        }

        return [.. committed.Where(r => r.Offset >= cleanedUpTo
            || (newest.TryGetValue(r.Key!, out var o) && o == r.Offset && (r.Value is not null || !tombstonesGone)))];
    }
}
