using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Log;

/// <summary>
/// Kafka's leader-epoch cache (LeaderEpochFileCache, KIP-101/KIP-279): which leader epoch began
/// at which offset, persisted in the partition directory as <c>leader-epoch-checkpoint</c>. A
/// leader answers OffsetForLeaderEpoch from it; a follower uses the answer to truncate a
/// divergent suffix. Entries are kept with strictly increasing epochs and start offsets.
/// </summary>
/// <remarks>
/// One writer (the partition grain) calls the mutating methods; lookups may run on any thread
/// (they read an immutable snapshot). Every change is written to the file (temp file, fsync,
/// rename, directory fsync) before it becomes visible, so a failed write leaves the cache as
/// it was. Order relative to the log, as Kafka's: the leader calls <see cref="Assign"/> with its
/// new epoch and the log end when it takes over; a follower calls <see cref="AssignFromBatches"/>
/// after <see cref="PartitionLog.AppendAsFollower"/> succeeded, <see cref="TruncateFromEnd"/>
/// after <see cref="PartitionLog.TruncateTo"/>, <see cref="Clear"/> after
/// <see cref="PartitionLog.TruncateFullyAndStartAt"/>, and <see cref="TruncateFromStart"/> when
/// the log start moves up. A crash between a log change and the cache write is repaired by
/// <see cref="Open"/>.
/// </remarks>
public sealed class LeaderEpochCache
{
    /// <summary>Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET.</summary>
    public const int UndefinedEpoch = -1;

    /// <inheritdoc cref="UndefinedEpoch"/>
    public const long UndefinedEpochOffset = -1;

    private readonly string _directory;
    private readonly Lock _writeLock = new();
    private (int Epoch, long StartOffset)[] _entries;

    private LeaderEpochCache(string directory, (int Epoch, long StartOffset)[] entries, LeaderEpochCacheOrigin origin, string? rebuildReason)
    {
        _directory = directory;
        _entries = entries;
        Origin = origin;
        RebuildReason = rebuildReason;
    }

    /// <summary>How the cache was obtained.</summary>
    public LeaderEpochCacheOrigin Origin { get; }

    /// <summary>Why <see cref="Open"/> rebuilt from the log (file missing, or the checkpoint error); null otherwise.</summary>
    public string? RebuildReason { get; }

    /// <summary>The entries, oldest first.</summary>
    public IReadOnlyList<(int Epoch, long StartOffset)> Entries => Volatile.Read(ref _entries);

    /// <summary>The latest epoch; -1 when empty.</summary>
    public int LatestEpoch => Volatile.Read(ref _entries) is { Length: > 0 } e ? e[^1].Epoch : UndefinedEpoch;

    /// <summary>The start offset of the latest epoch; null when empty.</summary>
    public long? LatestStartOffset => Volatile.Read(ref _entries) is { Length: > 0 } e ? e[^1].StartOffset : null;

    /// <summary>
    /// Reads <c>leader-epoch-checkpoint</c> from <paramref name="partitionDirectory"/>; empty when the
    /// file does not exist. A leftover <c>.tmp</c> from an interrupted write is ignored.
    /// </summary>
    /// <exception cref="LogException">
    /// <see cref="LogErrorKind.CorruptCheckpoint"/> for a garbled file (Kafka fails the log directory
    /// then); <see cref="Open"/> rebuilds from the log instead.
    /// </exception>
    public static LeaderEpochCache Load(string partitionDirectory)
    {
        ArgumentNullException.ThrowIfNull(partitionDirectory);
        var stored = LeaderEpochCheckpointFile.Read(partitionDirectory);
        if (stored is null)
        {
            return new LeaderEpochCache(partitionDirectory, [], LeaderEpochCacheOrigin.Empty, null);
        }

        // Entries go through the assign rule, as Kafka loads them: a hand-edited file that breaks
        // monotonicity keeps the later entries.
        var entries = new List<(int, long)>(stored.Count);
        foreach (var (epoch, startOffset) in stored)
        {
            ApplyAssign(entries, epoch, startOffset);
        }

        return new LeaderEpochCache(partitionDirectory, [.. entries], LeaderEpochCacheOrigin.Checkpoint, null);
    }

    /// <summary>
    /// Rebuilds the cache from the batches' partitionLeaderEpoch fields (headers only) from the log
    /// start to the end, as Kafka's segment recovery does (an epoch counts when it is above every
    /// epoch seen so far; -1 is skipped), moves the first entry up to the log start, and persists it.
    /// For logs written before the file existed, or after it was lost.
    /// </summary>
    public static LeaderEpochCache Rebuild(PartitionLog log) => Rebuild(log, "rebuilt on request");

    /// <summary>
    /// Opens the cache of <paramref name="log"/>'s directory and reconciles it with the log, as
    /// Kafka's log loading does: drops entries at or past the log end (a crash lost the log's tail
    /// but not the fsynced cache) and moves the first entry up to the log start. After an unclean
    /// shutdown (or when the file holds no entry) it also rescans the batches of the latest epoch
    /// for epochs the cache missed. A
    /// missing file on a log with data, or a garbled file, is rebuilt from the batches (the
    /// batches carry the epochs, so nothing is lost) and <see cref="RebuildReason"/> says why.
    /// </summary>
    public static LeaderEpochCache Open(PartitionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        LeaderEpochCache cache;
        try
        {
            cache = Load(log.Directory);
        }
        catch (LogException e) when (e.Kind == LogErrorKind.CorruptCheckpoint)
        {
            return Rebuild(log, e.Message);
        }

        if (cache.Origin == LeaderEpochCacheOrigin.Empty)
        {
            return log.LogEndOffset > log.LogStartOffset
                ? Rebuild(log, $"no {LeaderEpochCheckpointFile.FileName} beside a log holding [{log.LogStartOffset}, {log.LogEndOffset})")
                : cache;
        }

        cache.TruncateFromEnd(log.LogEndOffset);
        cache.TruncateFromStart(log.LogStartOffset);
        // After a crash an append may have landed without its assign; an empty cache beside data
        // (cleared, then appended to) has nothing to trust. Both rescan from the last known epoch.
        if (!log.OpenedAfterCleanShutdown || cache.Entries.Count == 0)
        {
            cache.CatchUp(log, cache.LatestStartOffset ?? log.LogStartOffset);
        }

        return cache;
    }

    /// <summary>
    /// Records that <paramref name="epoch"/> starts at <paramref name="startOffset"/>, by Kafka's
    /// LeaderEpochFileCache.assign: nothing changes when it is the latest epoch at the same or a later
    /// offset; otherwise every entry from the end whose epoch is &gt;= <paramref name="epoch"/> or
    /// whose start offset is &gt;= <paramref name="startOffset"/> is removed (they conflict with the
    /// new entry) and the new entry appended. So the latest epoch at an earlier offset keeps the
    /// earlier offset, a higher epoch starting below earlier entries replaces them, and (as in Kafka
    /// since 2.x) a lower epoch replaces the higher ones after it. Persists only when it changed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative epoch or offset (Kafka rejects them too).</exception>
    public void Assign(int epoch, long startOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(startOffset);
        lock (_writeLock)
        {
            var entries = new List<(int, long)>(_entries);
            if (ApplyAssign(entries, epoch, startOffset))
            {
                Commit(entries);
            }
        }
    }

    /// <summary>
    /// <see cref="Assign"/> for each batch in <paramref name="batches"/> (whole magic-2 batches, e.g.
    /// what a follower just appended with <see cref="PartitionLog.AppendAsFollower"/>): its
    /// partitionLeaderEpoch starts at its base offset. Batches with epoch -1 (written without an
    /// epoch) are skipped. One file write for the whole call.
    /// </summary>
    public void AssignFromBatches(ReadOnlySpan<byte> batches)
    {
        lock (_writeLock)
        {
            var entries = new List<(int, long)>(_entries);
            var changed = false;
            var headers = RecordBatch.EnumerateHeaders(batches);
            while (headers.MoveNext())
            {
                var header = headers.Current;
                if (header.PartitionLeaderEpoch >= 0 && header.BaseOffset >= 0)
                {
                    changed |= ApplyAssign(entries, header.PartitionLeaderEpoch, header.BaseOffset);
                }
            }

            if (changed)
            {
                Commit(entries);
            }
        }
    }

    /// <summary>
    /// The epoch in force at <paramref name="offset"/>: the entry with the largest start offset
    /// &lt;= it (Kafka's epochForOffset). -1 when the cache is empty or the offset lies before the
    /// first entry (Kafka answers "none" there).
    /// </summary>
    public int EpochAt(long offset)
    {
        var entries = Volatile.Read(ref _entries);
        var epoch = UndefinedEpoch;
        foreach (var (entryEpoch, startOffset) in entries)
        {
            if (startOffset > offset)
            {
                break;
            }

            epoch = entryEpoch;
        }

        return epoch;
    }

    /// <summary>
    /// Kafka's LeaderEpochFileCache.endOffsetFor, the OffsetForLeaderEpoch answer:
    /// <list type="bullet">
    /// <item>requested -1 (UNDEFINED_EPOCH): (-1, -1);</item>
    /// <item>requested == the latest epoch: (requested, <paramref name="logEndOffset"/>);</item>
    /// <item>no epoch above the requested one (requested &gt; latest, or the cache is empty): (-1, -1);</item>
    /// <item>requested below the first epoch: (requested, start of the first epoch), because the
    /// older epochs' data is gone and the follower should replicate from the leader's start;</item>
    /// <item>otherwise: (the largest epoch &lt;= requested, start offset of the first epoch above requested).</item>
    /// </list>
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetFor(int requestedEpoch, long logEndOffset)
    {
        if (requestedEpoch == UndefinedEpoch)
        {
            return (UndefinedEpoch, UndefinedEpochOffset);
        }

        var entries = Volatile.Read(ref _entries);
        if (entries.Length > 0 && entries[^1].Epoch == requestedEpoch)
        {
            return (requestedEpoch, logEndOffset);
        }

        var higher = Array.FindIndex(entries, e => e.Epoch > requestedEpoch);
        if (higher < 0)
        {
            return (UndefinedEpoch, UndefinedEpochOffset);
        }

        return higher == 0
            ? (requestedEpoch, entries[0].StartOffset)
            : (entries[higher - 1].Epoch, entries[higher].StartOffset);
    }

    /// <summary>
    /// The log was truncated to <paramref name="endOffset"/> (its new end): removes every entry
    /// starting at or after it (Kafka's truncateFromEnd). Persists when anything was removed.
    /// </summary>
    public void TruncateFromEnd(long endOffset)
    {
        lock (_writeLock)
        {
            var entries = _entries;
            var keep = entries.Length;
            while (endOffset >= 0 && keep > 0 && entries[keep - 1].StartOffset >= endOffset)
            {
                keep--;
            }

            if (keep != entries.Length)
            {
                Commit(entries[..keep]);
            }
        }
    }

    /// <summary>
    /// The log start moved up to <paramref name="startOffset"/> (retention, DeleteRecords): removes
    /// the entries starting at or below it and puts the last of them back starting at
    /// <paramref name="startOffset"/>, so the epoch in force there is kept (Kafka's truncateFromStart;
    /// an entry at exactly <paramref name="startOffset"/> stays as it is).
    /// </summary>
    public void TruncateFromStart(long startOffset)
    {
        lock (_writeLock)
        {
            var entries = new List<(int, long)>(_entries);
            MoveStartUp(entries, startOffset);
            if (!entries.SequenceEqual(_entries))
            {
                Commit(entries);
            }
        }
    }

    /// <summary>
    /// Removes every entry and persists the empty file (Kafka's clearAndFlush): a follower whose log
    /// was emptied by <see cref="PartitionLog.TruncateFullyAndStartAt"/> learns its epochs anew from
    /// the batches it fetches.
    /// </summary>
    public void Clear()
    {
        lock (_writeLock)
        {
            Commit([]);
        }
    }

    private static LeaderEpochCache Rebuild(PartitionLog log, string reason)
    {
        ArgumentNullException.ThrowIfNull(log);
        var cache = new LeaderEpochCache(log.Directory, [], LeaderEpochCacheOrigin.Rebuilt, reason);
        lock (cache._writeLock)
        {
            var entries = new List<(int, long)>();
            ScanEpochs(log, log.LogStartOffset, entries);
            MoveStartUp(entries, log.LogStartOffset);
            cache.Commit(entries);
        }

        return cache;
    }

    /// <summary>Adds the epochs of the batches from <paramref name="fromOffset"/> on that the cache missed (a crash after an append, before its assign).</summary>
    private void CatchUp(PartitionLog log, long fromOffset)
    {
        lock (_writeLock)
        {
            var entries = new List<(int, long)>(_entries);
            if (ScanEpochs(log, fromOffset, entries))
            {
                Commit(entries);
            }
        }
    }

    /// <summary>Kafka's segment-recovery rule: a batch's epoch is assigned only when it is above the latest so far.</summary>
    private static bool ScanEpochs(PartitionLog log, long fromOffset, List<(int Epoch, long StartOffset)> entries)
    {
        var changed = false;
        log.VisitBatchHeaders(fromOffset, header =>
        {
            var latest = entries.Count > 0 ? entries[^1].Epoch : UndefinedEpoch;
            if (header.PartitionLeaderEpoch >= 0 && header.PartitionLeaderEpoch > latest && header.BaseOffset >= 0)
            {
                changed |= ApplyAssign(entries, header.PartitionLeaderEpoch, header.BaseOffset);
            }

            return true;
        });
        return changed;
    }

    private static void MoveStartUp(List<(int Epoch, long StartOffset)> entries, long startOffset)
    {
        var removed = 0;
        while (removed < entries.Count && entries[removed].StartOffset <= startOffset)
        {
            removed++;
        }

        if (removed > 0)
        {
            var epoch = entries[removed - 1].Epoch;
            entries.RemoveRange(0, removed);
            entries.Insert(0, (epoch, startOffset));
        }
    }

    /// <summary>The assign rule on a working copy; true when it changed.</summary>
    private static bool ApplyAssign(List<(int Epoch, long StartOffset)> entries, int epoch, long startOffset)
    {
        if (entries.Count > 0 && entries[^1].Epoch == epoch && entries[^1].StartOffset <= startOffset)
        {
            return false;
        }

        var keep = entries.Count;
        while (keep > 0 && (entries[keep - 1].Epoch >= epoch || entries[keep - 1].StartOffset >= startOffset))
        {
            keep--;
        }

        entries.RemoveRange(keep, entries.Count - keep);
        entries.Add((epoch, startOffset));
        return true;
    }

    /// <summary>Writes the file, then publishes: a failed write throws and leaves the cache unchanged.</summary>
    private void Commit(IReadOnlyCollection<(int Epoch, long StartOffset)> entries)
    {
        (int Epoch, long StartOffset)[] snapshot = [.. entries];
        LeaderEpochCheckpointFile.Write(_directory, snapshot);
        Volatile.Write(ref _entries, snapshot);
    }
}
