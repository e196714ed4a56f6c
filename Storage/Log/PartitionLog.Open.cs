namespace Orleans.Kafka.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>. After a clean shutdown it
    /// trusts the files and only reads the active segment's index tail; after a crash it scans
    /// the segments from the recovery point on, cuts a torn or corrupt tail (and every segment
    /// after it) and rebuilds their indexes.
    /// </summary>
    public static PartitionLog Open(string directory, LogConfig config, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        time ??= TimeProvider.System;
        System.IO.Directory.CreateDirectory(directory);
        var directoryLock = LockDirectory(directory);
        try
        {
            return OpenLocked(directory, config, time, directoryLock);
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    private static PartitionLog OpenLocked(string directory, LogConfig config, TimeProvider time, FileStream directoryLock)
    {
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var clean = LogCheckpoints.ConsumeCleanShutdownMarker(directory);
        if (clean)
        {
            // The marker's removal must reach the disk before any append: a stale marker after a
            // later crash would make the next open trust a torn tail.
            FlushDirectory(directory);
        }

        RemoveLeftovers(directory);
        CompleteSwaps(directory, config);

        var bases = System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.LogSuffix)
            .Select(path => LogSegment.TryParseBaseOffset(path, out var b) ? b : -1)
            .Where(b => b >= 0)
            .Order()
            .ToList();
        var logStart = LogCheckpoints.ReadOffset(directory, LogCheckpoints.LogStartOffsetFile);
        var checkpoint = LogCheckpoints.ReadOffset(directory, LogCheckpoints.RecoveryPointFile) ?? 0;
        var segments = new List<LogSegment>(bases.Count);
        try
        {
            if (bases.Count == 0)
            {
                segments.Add(LogSegment.Create(directory, Math.Max(logStart ?? 0, 0), config, nowMs));
            }
            else if (clean)
            {
                for (var i = 0; i < bases.Count; i++)
                {
                    segments.Add(OpenTrustedOrRebuild(directory, bases[i], config, nowMs, isLast: i == bases.Count - 1));
                }

                segments[^1].OpenForAppend(nowMs);
            }
            else
            {
                for (var i = 0; i < bases.Count; i++)
                {
                    // Segments that end at or below the recovery point were flushed whole.
                    if (i + 1 < bases.Count && bases[i + 1] <= checkpoint)
                    {
                        segments.Add(OpenTrustedOrRebuild(directory, bases[i], config, nowMs, isLast: false));
                        continue;
                    }

                    var segment = LogSegment.OpenRecovering(directory, bases[i], config, nowMs, out var truncated);
                    segments.Add(segment);
                    // A sealed segment is never empty: an empty one before others lost its bytes.
                    truncated |= segment.Size == 0 && i + 1 < bases.Count;
                    if (!truncated && i + 1 < bases.Count)
                    {
                        segment.Seal();
                    }

                    if (truncated)
                    {
                        // Everything after a corrupt point is unreachable: Kafka deletes it too.
                        for (var j = i + 1; j < bases.Count; j++)
                        {
                            DeleteSegmentFiles(directory, bases[j]);
                        }

                        break;
                    }
                }
            }

            var active = segments[^1];
            var logEnd = active.End.NextOffset;
            var start = Math.Max(logStart ?? segments[0].BaseOffset, segments[0].BaseOffset);
            if (start > logEnd)
            {
                // The start was moved past data that the crash then took away: start afresh there.
                foreach (var s in segments)
                {
                    s.Delete();
                }

                segments.Clear();
                segments.Add(LogSegment.Create(directory, start, config, nowMs));
            }

            var log = new PartitionLog(directory, config, time, new LogState([.. segments], start), Math.Min(checkpoint, segments[^1].End.NextOffset), clean, directoryLock);
            return log;
        }
        catch
        {
            foreach (var s in segments)
            {
                s.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Opens a segment whose data is trusted; one that lost an index file (e.g. a finished
    /// compaction swap) is rescanned now so its max timestamp is known for retention.
    /// </summary>
    private static LogSegment OpenTrustedOrRebuild(string directory, long baseOffset, LogConfig config, long nowMs, bool isLast)
    {
        if (File.Exists(LogSegment.FilePath(directory, baseOffset, LogSegment.IndexSuffix))
            && File.Exists(LogSegment.FilePath(directory, baseOffset, LogSegment.TimeIndexSuffix)))
        {
            return LogSegment.OpenTrusted(directory, baseOffset, config);
        }

        var segment = LogSegment.OpenRecovering(directory, baseOffset, config, nowMs, out _);
        if (!isLast)
        {
            segment.Seal();
        }

        return segment;
    }

    private static void DeleteSegmentFiles(string directory, long baseOffset)
    {
        File.Delete(LogSegment.FilePath(directory, baseOffset, LogSegment.LogSuffix));
        File.Delete(LogSegment.FilePath(directory, baseOffset, LogSegment.IndexSuffix));
        File.Delete(LogSegment.FilePath(directory, baseOffset, LogSegment.TimeIndexSuffix));
    }

    /// <summary>Temporary files of an interrupted checkpoint write, deletion or compaction.</summary>
    private static void RemoveLeftovers(string directory)
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(directory))
        {
            if (path.EndsWith(".tmp", StringComparison.Ordinal)
                || path.EndsWith(".deleted", StringComparison.Ordinal)
                || path.EndsWith(".cleaned", StringComparison.Ordinal))
            {
                File.Delete(path);
            }
        }

        // Orphan index files (their log is gone) would confuse a later segment with that base.
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.IndexSuffix)
            .Concat(System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.TimeIndexSuffix)))
        {
            var logPath = Path.ChangeExtension(path, LogSegment.LogSuffix);
            if (!File.Exists(logPath))
            {
                File.Delete(path);
            }
        }
    }
}
