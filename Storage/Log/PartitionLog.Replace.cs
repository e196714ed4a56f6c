using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Log;

public sealed partial class PartitionLog
{
    public const string SwapSuffix = ".swap";

    /// <summary>
    /// Replaces consecutive closed segments with one file of batches (the cleaner's output): its
    /// batches keep their offsets and must lie within the replaced range. The file is renamed
    /// to <c>{base}.log.swap</c> first — the commit point: once it exists, a restart finishes the
    /// swap instead of keeping the old segments — then the old files go and the swap becomes the
    /// segment. Reads wait for the few renames; they never see a half-replaced range.
    /// </summary>
    /// <param name="oldBaseOffsets">Base offsets of the segments to replace, consecutive and oldest first; not the active one.</param>
    /// <param name="cleanedLogPath">A file in the log's directory holding the replacement batches.</param>
    public void ReplaceSegments(IReadOnlyList<long> oldBaseOffsets, string cleanedLogPath)
    {
        ArgumentNullException.ThrowIfNull(oldBaseOffsets);
        ArgumentException.ThrowIfNullOrEmpty(cleanedLogPath);
        lock (_writeLock)
        {
            ThrowIfClosed();
            var state = _state;
            if (oldBaseOffsets.Count == 0)
            {
                throw new ArgumentException("No segment to replace.", nameof(oldBaseOffsets));
            }

            var first = Array.FindIndex(state.Segments, s => s.BaseOffset == oldBaseOffsets[0]);
            if (first < 0 || first + oldBaseOffsets.Count >= state.Segments.Length
                || !oldBaseOffsets.Select((b, i) => state.Segments[first + i].BaseOffset == b).All(x => x))
            {
                throw new ArgumentException("The segments to replace must be consecutive, existing and closed.", nameof(oldBaseOffsets));
            }

            var baseOffset = oldBaseOffsets[0];
            var limit = state.Segments[first + oldBaseOffsets.Count].BaseOffset;
            CheckReplacement(cleanedLogPath, baseOffset, limit);

            var swapPath = LogSegment.FilePath(Directory, baseOffset, LogSegment.LogSuffix) + SwapSuffix;
            File.Move(cleanedLogPath, swapPath, overwrite: true);
            FlushDirectory(Directory);

            _structure.EnterWriteLock();
            try
            {
                var replaced = state.Segments[first..(first + oldBaseOffsets.Count)];
                foreach (var segment in replaced)
                {
                    segment.Delete();
                }

                File.Move(swapPath, LogSegment.FilePath(Directory, baseOffset, LogSegment.LogSuffix));
                var fresh = LogSegment.OpenRecovering(Directory, baseOffset, _config, NowMs(), out _);
                fresh.Seal();
                Publish(state with { Segments = [.. state.Segments[..first], fresh, .. state.Segments[(first + oldBaseOffsets.Count)..]] });
            }
            finally
            {
                _structure.ExitWriteLock();
            }
        }
    }

    /// <summary>The replacement must be whole, valid batches with increasing offsets inside [base, limit).</summary>
    private void CheckReplacement(string path, long baseOffset, long limit)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = RandomAccess.GetLength(file);
        // Index positions are 32-bit; fitting segment.bytes is the cleaner's own grouping policy.
        if (length > int.MaxValue)
        {
            throw new ArgumentException($"Replacement of {length} bytes is too large for one segment.", nameof(path));
        }

        var inRange = true;
        var end = SegmentScanner.Scan(file, 0, length, verify: true, baseOffset, (in RecordBatchHeader header, long _) =>
        {
            inRange &= header.LastOffset < limit && header.LastOffset - baseOffset <= int.MaxValue;
            return inRange;
        });
        if (end != length || !inRange)
        {
            throw new ArgumentException($"Replacement {path} is not a run of valid batches within offsets [{baseOffset}, {limit}).", nameof(path));
        }

        // Durable before the rename makes it the committed replacement.
        RandomAccess.FlushToDisk(file);
    }

    /// <summary>
    /// Finishes swaps a crash interrupted: a <c>.swap</c> file replaces the segments whose base
    /// offsets fall inside its offset range.
    /// </summary>
    private static void CompleteSwaps(string directory, LogConfig config)
    {
        foreach (var swap in System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.LogSuffix + SwapSuffix).Order())
        {
            var logName = swap[..^SwapSuffix.Length];
            if (!LogSegment.TryParseBaseOffset(logName, out var baseOffset))
            {
                File.Delete(swap);
                continue;
            }

            long next = baseOffset;
            using (var file = File.OpenHandle(swap, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                SegmentScanner.Scan(file, 0, RandomAccess.GetLength(file), verify: true, baseOffset, (in RecordBatchHeader header, long _) =>
                {
                    next = header.NextOffset;
                    return true;
                });
            }

            foreach (var log in System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.LogSuffix))
            {
                if (LogSegment.TryParseBaseOffset(log, out var b) && b >= baseOffset && (b < next || b == baseOffset))
                {
                    DeleteSegmentFiles(directory, b);
                }
            }

            File.Move(swap, logName);
            // Its indexes are rebuilt: it is opened as a segment needing recovery.
            File.Delete(LogSegment.FilePath(directory, baseOffset, LogSegment.IndexSuffix));
            File.Delete(LogSegment.FilePath(directory, baseOffset, LogSegment.TimeIndexSuffix));
        }

        _ = config;
    }

    /// <summary>Makes renames in the log directory durable (no-op where directories cannot be opened).</summary>
    internal static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            using var dir = File.OpenHandle(directory, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(dir);
        }
        catch (UnauthorizedAccessException)
        {
            // Some file systems refuse to open a directory; the rename is still atomic.
        }
        catch (IOException)
        {
            // As above.
        }
    }
}
