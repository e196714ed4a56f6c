using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Kafka.Grains.Partitions;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Producers;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Grains.Tests.Producers;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>
/// A partition log in a temp directory with a tracker on it, appending the way the partition
/// grain does: Check, then Append and OnAppended unless the check refused it.
/// </summary>
internal sealed class TrackedLog : IDisposable
{
    private readonly LogConfig _config;

    public TrackedLog(string? directory = null, long segmentBytes = 1 << 20, ManualClock? clock = null, ProducerStateOptions? options = null)
    {
        Directory = directory ?? Path.Combine(Path.GetTempPath(), "okafka-tracker-" + Guid.NewGuid().ToString("N"));
        Clock = clock ?? new ManualClock(DateTimeOffset.UtcNow);
        Options = options;
        _config = new LogConfig { SegmentBytes = segmentBytes };
        Log = PartitionLog.Open(Directory, _config, Clock);
        Tracker = ProducerStateTracker.Load(Log, Clock, NullLogger.Instance, options);
    }

    public string Directory { get; }

    public ManualClock Clock { get; }

    public ProducerStateOptions? Options { get; }

    /// <summary>False: report only batches with a producer id, as the partition grain does.</summary>
    public bool ReportBatchesWithoutProducer { get; set; } = true;

    public PartitionLog Log { get; private set; }

    public ProducerStateTracker Tracker { get; private set; }

    /// <summary>One batch of <paramref name="count"/> records from a producer (pid -1: none).</summary>
    public static byte[] Batch(long producerId, short epoch, int baseSequence, int count = 1, bool transactional = false)
    {
        var builder = new RecordBatchBuilder
        {
            ProducerId = producerId,
            ProducerEpoch = epoch,
            BaseSequence = producerId < 0 ? -1 : baseSequence,
            IsTransactional = transactional,
        };
        // Current timestamps: old ones would make the log roll a segment per append (segment.ms).
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            builder.Add(now + i, "k"u8, new byte[64]);
        }

        return builder.Build();
    }

    public static RecordBatchHeader Header(byte[] batch)
    {
        Assert.True(RecordBatchHeader.TryRead(batch, out var header));
        return header;
    }

    public ProducerCheckResult Check(byte[] batch) => Tracker.Check(Header(batch));

    /// <summary>Checks and, when the check allows, appends; returns the check and the offsets the batch has.</summary>
    public (ProducerCheckResult Check, long FirstOffset, long LastOffset) Produce(byte[] batch)
    {
        var header = Header(batch);
        var check = Tracker.Check(header);
        if (check.IsDuplicate)
        {
            return (check, check.DuplicateFirstOffset, check.DuplicateLastOffset);
        }

        if (!check.IsOk)
        {
            return (check, -1, -1);
        }

        var result = Log.Append(batch, leaderEpoch: 0);
        if (header.ProducerId >= 0 || ReportBatchesWithoutProducer)
        {
            Tracker.OnAppended(header, result.FirstOffset, result.LastOffset);
        }

        return (check, result.FirstOffset, result.LastOffset);
    }

    public (long FirstOffset, long LastOffset) ProduceOk(byte[] batch)
    {
        var (check, first, last) = Produce(batch);
        Assert.Equal(ProducerAppendStatus.Ok, check.Status);
        return (first, last);
    }

    /// <summary>A transaction marker as the coordinator writes it.</summary>
    public void WriteMarker(long producerId, short epoch, ControlRecordType type)
    {
        var batch = RecordBatchBuilder.BuildControlBatch(type, producerId, epoch, coordinatorEpoch: 0, Clock.GetUtcNow().ToUnixTimeMilliseconds());
        var header = Header(batch);
        Assert.True(Tracker.Check(header).IsOk);
        var result = Log.Append(batch, leaderEpoch: 0, AppendOrigin.Coordinator);
        Tracker.OnAppended(header, result.FirstOffset, result.LastOffset);
    }

    /// <summary>Clean shutdown and start: the log's close snapshots the state.</summary>
    public void Restart(Action? whileClosed = null)
    {
        Log.Close();
        Tracker.Dispose();
        whileClosed?.Invoke();
        Reopen();
    }

    /// <summary>
    /// As after a crash: no snapshot at the log end (the tracker is detached before the close, so
    /// none is written), then <paramref name="whileClosed"/> may remove more snapshots.
    /// </summary>
    public void RestartWithoutCloseSnapshot(Action? whileClosed = null)
    {
        Tracker.Dispose();
        Log.Close();
        whileClosed?.Invoke();
        Reopen();
    }

    public IReadOnlyList<long> SnapshotOffsets => ProducerStateManager.ListSnapshotOffsets(Directory);

    public void Reopen()
    {
        Log = PartitionLog.Open(Directory, _config, Clock);
        Tracker = ProducerStateTracker.Load(Log, Clock, NullLogger.Instance, Options);
    }

    /// <summary>Producer state in comparable form: id, epoch, open txn, cached batches (not the clock).</summary>
    public static string Describe(ProducerStateTracker tracker) =>
        string.Join("\n", tracker.Producers.Values.OrderBy(p => p.ProducerId).Select(p =>
            $"{p.ProducerId} e{p.Epoch} txn{p.CurrentTransactionFirstOffset} [{string.Join(", ", p.Batches.Select(b => $"{b.FirstSequence}-{b.LastSequence}@{b.FirstOffset}-{b.LastOffset}"))}]"))
        + $"\nfuo={tracker.FirstUnstableOffset}";

    public void Dispose()
    {
        Tracker.Dispose();
        Log.Dispose();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
