namespace Orleans.Kafka.Storage.Producers;

/// <summary>
/// Producer state of one partition: per producer id its epoch, its last five batches (sequence
/// range and offsets) and the first offset of its open transaction. The partition checks each
/// idempotent/transactional batch here before appending (<see cref="CheckAndPrepare"/>), records
/// it after (<see cref="OnAppended"/>), ends transactions on markers (<see cref="OnControlBatch"/>),
/// snapshots at segment roll and clean shutdown, and after a crash loads the newest snapshot and
/// replays the log tail through <see cref="Apply"/>.
/// </summary>
/// <remarks>Not thread-safe: the partition's single writer owns it.</remarks>
public sealed class ProducerStateManager
{
    /// <summary>A batch without producer (Kafka's NO_PRODUCER_ID).</summary>
    public const long NoProducerId = -1;

    /// <summary>Kafka's NO_PRODUCER_EPOCH.</summary>
    public const short NoProducerEpoch = -1;

    private readonly Dictionary<long, ProducerEntry> _producers = [];

    // Open transactions by first offset: the smallest is the first unstable offset.
    private readonly SortedSet<(long FirstOffset, long ProducerId)> _openTransactions = [];

    private readonly ProducerStateOptions _options;
    private readonly TimeProvider _time;

    public ProducerStateManager(ProducerStateOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new ProducerStateOptions();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Known producers by id.</summary>
    public IReadOnlyDictionary<long, ProducerEntry> Producers => _producers;

    /// <summary>
    /// First offset of the oldest open transaction, or null when none is open: the last stable
    /// offset is this (capped by the high watermark), else the high watermark.
    /// </summary>
    public long? FirstUnstableOffset => _openTransactions.Count == 0 ? null : _openTransactions.Min.FirstOffset;

    /// <summary>Open transactions as (producer id, first offset), oldest first.</summary>
    public IEnumerable<(long ProducerId, long FirstOffset)> OpenTransactions =>
        _openTransactions.Select(t => (t.ProducerId, t.FirstOffset));

    /// <summary>
    /// Classifies a data batch of <paramref name="producerId"/> before it is appended; changes nothing.
    /// <paramref name="lastSequence"/> is the batch's base sequence plus its last offset delta,
    /// wrapped past <see cref="int.MaxValue"/> to 0 as producers do.
    /// </summary>
    public ProducerAppendCheck CheckAndPrepare(long producerId, short epoch, int baseSequence, int lastSequence, bool isTransactional)
    {
        if (producerId < 0)
        {
            return ProducerAppendCheck.Ok; // not idempotent: nothing to check
        }

        if (baseSequence < 0 || lastSequence < 0)
        {
            return new(ProducerAppendStatus.OutOfOrderSequence, Message: $"Producer {producerId} sent negative sequence {baseSequence}..{lastSequence}.");
        }

        if (!_producers.TryGetValue(producerId, out var entry))
        {
            if (baseSequence != 0 && _options.RejectUnknownProducerNonZeroSequence)
            {
                return new(ProducerAppendStatus.UnknownProducerId, Message: $"No state for producer {producerId} and its first sequence is {baseSequence}, not 0.");
            }

            return ProducerAppendCheck.Ok;
        }

        if (epoch < entry.Epoch)
        {
            return new(ProducerAppendStatus.InvalidProducerEpoch, Message: $"Producer {producerId} epoch {epoch} is older than the current epoch {entry.Epoch}.");
        }

        if (epoch == entry.Epoch && entry.FindBatch(baseSequence, lastSequence) is { } duplicate)
        {
            return new(ProducerAppendStatus.Duplicate, duplicate.FirstOffset, duplicate.LastOffset, duplicate.Timestamp,
                $"Producer {producerId} batch {baseSequence}..{lastSequence} was already appended at offset {duplicate.FirstOffset}.");
        }

        if (epoch != entry.Epoch)
        {
            // A new epoch restarts the sequence. (An entry without epoch, from a marker of a
            // producer we otherwise forgot, accepts any sequence, as in Kafka.)
            if (baseSequence != 0 && entry.Epoch != NoProducerEpoch)
            {
                return new(ProducerAppendStatus.OutOfOrderSequence, Message: $"Producer {producerId} new epoch {epoch} must start at sequence 0, got {baseSequence}.");
            }
        }
        else if (!IsNextSequence(entry.LastSequence, baseSequence))
        {
            return new(ProducerAppendStatus.OutOfOrderSequence, Message: $"Producer {producerId} sequence {baseSequence} does not follow {entry.LastSequence}.");
        }

        if (!isTransactional && entry.CurrentTransactionFirstOffset >= 0)
        {
            return new(ProducerAppendStatus.InvalidTxnState, Message: $"Producer {producerId} sent a non-transactional batch during its transaction starting at {entry.CurrentTransactionFirstOffset}.");
        }

        return ProducerAppendCheck.Ok;
    }

    /// <summary>Records a data batch that was appended at [<paramref name="firstOffset"/>, <paramref name="lastOffset"/>].</summary>
    public void OnAppended(long producerId, short epoch, int baseSequence, int lastSequence, long firstOffset, long lastOffset, long maxTimestamp, bool isTransactional)
    {
        if (producerId < 0)
        {
            return;
        }

        var entry = GetOrAdd(producerId, epoch);
        if (epoch != entry.Epoch)
        {
            entry.Epoch = epoch;
            entry.ClearBatches(); // sequences of the old epoch can no longer be duplicates
        }

        entry.AddBatch(new ProducerBatchInfo(baseSequence, lastSequence, firstOffset, lastOffset, maxTimestamp));
        entry.LastUpdateTimeMs = NowMs();
        if (isTransactional && entry.CurrentTransactionFirstOffset < 0)
        {
            entry.CurrentTransactionFirstOffset = firstOffset;
            _openTransactions.Add((firstOffset, producerId));
        }
    }

    /// <summary>Checks a transaction marker (written by the coordinator) before it is appended.</summary>
    public ProducerAppendCheck CheckControlBatch(long producerId, short epoch, int coordinatorEpoch = -1)
    {
        if (!_producers.TryGetValue(producerId, out var entry))
        {
            return ProducerAppendCheck.Ok;
        }

        if (epoch < entry.Epoch)
        {
            return new(ProducerAppendStatus.InvalidProducerEpoch, Message: $"Marker epoch {epoch} of producer {producerId} is older than the current epoch {entry.Epoch}.");
        }

        if (coordinatorEpoch >= 0 && coordinatorEpoch < entry.CoordinatorEpoch)
        {
            return new(ProducerAppendStatus.TransactionCoordinatorFenced, Message: $"Marker of producer {producerId} from coordinator epoch {coordinatorEpoch}, older than {entry.CoordinatorEpoch}.");
        }

        return ProducerAppendCheck.Ok;
    }

    /// <summary>
    /// Records a commit/abort marker appended at <paramref name="offset"/>: the producer's
    /// transaction ends. Returns the completed transaction (a marker without an open transaction
    /// completes an empty one starting at the marker, as in Kafka).
    /// </summary>
    public CompletedTransaction OnControlBatch(long producerId, short epoch, ControlBatchType type, long offset, int coordinatorEpoch = -1)
    {
        var entry = GetOrAdd(producerId, epoch);
        if (epoch != entry.Epoch)
        {
            entry.Epoch = epoch;
            entry.ClearBatches();
        }

        var firstOffset = offset;
        if (entry.CurrentTransactionFirstOffset >= 0)
        {
            firstOffset = entry.CurrentTransactionFirstOffset;
            _openTransactions.Remove((firstOffset, producerId));
            entry.CurrentTransactionFirstOffset = -1;
        }

        if (coordinatorEpoch >= 0)
        {
            entry.CoordinatorEpoch = coordinatorEpoch;
        }

        entry.LastUpdateTimeMs = NowMs();
        return new CompletedTransaction(producerId, firstOffset, offset, type == ControlBatchType.Abort);
    }

    /// <summary>
    /// Replays one batch header read from the log (recovery after the snapshot, or a follower's
    /// fetched data): updates state without validating. Returns the completed transaction for a
    /// control batch, else null. Batches without producer id are ignored.
    /// </summary>
    public CompletedTransaction? Apply(
        long producerId,
        short epoch,
        int baseSequence,
        int lastSequence,
        long baseOffset,
        long lastOffset,
        long maxTimestamp,
        bool isTransactional,
        bool isControl,
        ControlBatchType controlType = ControlBatchType.Abort,
        int coordinatorEpoch = -1)
    {
        if (producerId < 0)
        {
            return null;
        }

        if (isControl)
        {
            return OnControlBatch(producerId, epoch, controlType, baseOffset, coordinatorEpoch);
        }

        OnAppended(producerId, epoch, baseSequence, lastSequence, baseOffset, lastOffset, maxTimestamp, isTransactional);
        return null;
    }

    /// <summary>
    /// Forgets producers idle for <c>producer.id.expiration.ms</c> (by the time provider's clock)
    /// that have no open transaction. Returns how many were removed.
    /// </summary>
    public int RemoveExpiredProducers()
    {
        var now = NowMs();
        var expired = _producers.Values
            .Where(e => e.CurrentTransactionFirstOffset < 0 && now - e.LastUpdateTimeMs >= _options.ProducerIdExpirationMs)
            .Select(e => e.ProducerId)
            .ToList();
        foreach (var id in expired)
        {
            _producers.Remove(id);
        }

        return expired.Count;
    }

    /// <summary>Drops all state (before loading a snapshot or rebuilding from the log start).</summary>
    public void Clear()
    {
        _producers.Clear();
        _openTransactions.Clear();
    }

    /// <summary>Writes the state as of <paramref name="offset"/> (the next offset to apply) to <c>{offset:D20}.snapshot</c> in <paramref name="directory"/>.</summary>
    public string TakeSnapshot(string directory, long offset) => ProducerSnapshotFiles.Write(directory, offset, _producers.Values);

    /// <summary>
    /// Replaces the state with the newest intact snapshot in <paramref name="directory"/> at or
    /// below <paramref name="maxOffset"/>, skipping corrupt files. The log then replays from the
    /// returned offset (from its start when there is none, with empty state).
    /// </summary>
    public ProducerSnapshotLoad LoadLatestSnapshot(string directory, long maxOffset)
    {
        Clear();
        var skipped = new List<string>();
        foreach (var (offset, path) in ProducerSnapshotFiles.List(directory).Reverse())
        {
            if (offset > maxOffset)
            {
                continue;
            }

            if (!ProducerSnapshotFiles.TryRead(path, offset, out var entries))
            {
                skipped.Add(path);
                continue;
            }

            foreach (var entry in entries)
            {
                _producers[entry.ProducerId] = entry;
                if (entry.CurrentTransactionFirstOffset >= 0)
                {
                    _openTransactions.Add((entry.CurrentTransactionFirstOffset, entry.ProducerId));
                }
            }

            return new ProducerSnapshotLoad(offset, skipped);
        }

        return new ProducerSnapshotLoad(null, skipped);
    }

    /// <summary>Deletes snapshots below <paramref name="logStartOffset"/> (their segments are gone).</summary>
    public static int DeleteSnapshotsBelow(string directory, long logStartOffset) =>
        ProducerSnapshotFiles.Delete(directory, offset => offset < logStartOffset);

    /// <summary>Deletes snapshots above <paramref name="offset"/>, after the log was truncated to it.</summary>
    public static int DeleteSnapshotsAbove(string directory, long offset) =>
        ProducerSnapshotFiles.Delete(directory, o => o > offset);

    /// <summary>Offsets of the snapshot files in <paramref name="directory"/>, ascending.</summary>
    public static IReadOnlyList<long> ListSnapshotOffsets(string directory) =>
        ProducerSnapshotFiles.List(directory).Select(s => s.Offset).ToList();

    /// <summary>
    /// Last sequence of a batch: base sequence plus last offset delta, wrapping past
    /// <see cref="int.MaxValue"/> to 0 as producers number records.
    /// </summary>
    public static int LastSequenceOf(int baseSequence, int lastOffsetDelta) =>
        baseSequence > int.MaxValue - lastOffsetDelta
            ? lastOffsetDelta - (int.MaxValue - baseSequence) - 1
            : baseSequence + lastOffsetDelta;

    internal static bool IsNextSequence(int lastSequence, int nextSequence) =>
        nextSequence == lastSequence + 1L || (nextSequence == 0 && lastSequence == int.MaxValue);

    private ProducerEntry GetOrAdd(long producerId, short epoch)
    {
        if (!_producers.TryGetValue(producerId, out var entry))
        {
            entry = new ProducerEntry(producerId, epoch);
            _producers.Add(producerId, entry);
        }

        return entry;
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
