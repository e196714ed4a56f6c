namespace Orleans.Kafka.Storage.Compaction;

/// <summary>Compaction settings, named and defaulted as Kafka's topic and broker configs.</summary>
public sealed record CleanerConfig
{
    /// <summary><c>cleanup.policy</c>.</summary>
    public CleanupPolicy CleanupPolicy { get; init; } = CleanupPolicy.Compact;

    /// <summary><c>min.cleanable.dirty.ratio</c>: clean when dirty bytes / cleanable bytes reach this.</summary>
    public double MinCleanableDirtyRatio { get; init; } = 0.5;

    /// <summary><c>delete.retention.ms</c>: how long tombstones and transaction markers outlive the clean that first saw them.</summary>
    public long DeleteRetentionMs { get; init; } = 86400000;

    /// <summary><c>min.compaction.lag.ms</c>: a segment holding a record younger than this stays uncleaned (and so does all after it).</summary>
    public long MinCompactionLagMs { get; init; }

    /// <summary><c>max.compaction.lag.ms</c>: a dirty record older than this makes the log cleanable whatever its dirty ratio.</summary>
    public long MaxCompactionLagMs { get; init; } = long.MaxValue;

    /// <summary>
    /// Keys the offset map holds in one pass (Kafka sizes it by <c>log.cleaner.dedupe.buffer.size</c>,
    /// 24 bytes an entry); a larger dirty section is cleaned over several passes.
    /// </summary>
    public int MaxOffsetMapEntries { get; init; } = 4 * 1024 * 1024;

    /// <summary>Read buffer for scanning segments.</summary>
    public int IoBufferBytes { get; init; } = 1024 * 1024;

    public static CleanerConfig Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (MinCleanableDirtyRatio is < 0 or > 1 || double.IsNaN(MinCleanableDirtyRatio))
        {
            throw new ArgumentException($"min.cleanable.dirty.ratio={MinCleanableDirtyRatio} is out of range [0, 1].", nameof(MinCleanableDirtyRatio));
        }

        if (DeleteRetentionMs < 0)
        {
            throw new ArgumentException($"delete.retention.ms={DeleteRetentionMs} is out of range.", nameof(DeleteRetentionMs));
        }

        if (MinCompactionLagMs < 0 || MaxCompactionLagMs < 1 || MaxCompactionLagMs < MinCompactionLagMs)
        {
            throw new ArgumentException($"min.compaction.lag.ms={MinCompactionLagMs} / max.compaction.lag.ms={MaxCompactionLagMs} are out of range.", nameof(MinCompactionLagMs));
        }

        if (MaxOffsetMapEntries < 1 || IoBufferBytes < 4096)
        {
            throw new ArgumentException("The offset map needs at least one entry and the I/O buffer at least 4 KiB.");
        }
    }
}
