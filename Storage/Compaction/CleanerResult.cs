namespace Orleans.Kafka.Storage.Compaction;

/// <summary>What one cleaning pass did.</summary>
/// <param name="Cleaned">True when segments were compacted (false: skipped below the dirty ratio, nothing cleanable, or aborted).</param>
/// <param name="DirtyRatio">Dirty bytes / cleanable bytes when the pass started.</param>
/// <param name="FirstDirtyOffset">The cleaner checkpoint when the pass started.</param>
/// <param name="CleanedUpTo">The checkpoint after the pass (first offset not cleaned).</param>
/// <param name="SegmentsRewritten">Old segments replaced.</param>
/// <param name="RecordsRead">Records in the segments rewritten.</param>
/// <param name="RecordsRetained">Records written back.</param>
/// <param name="InvalidRecords">Records without a key, dropped (Kafka rejects them on compacted topics).</param>
/// <param name="BytesRead">Bytes of the old segments.</param>
/// <param name="BytesWritten">Bytes of their replacements.</param>
/// <param name="Aborted">True when the log changed underneath (e.g. retention took a segment) and the pass stopped early.</param>
public sealed record CleanerResult(
    bool Cleaned,
    double DirtyRatio,
    long FirstDirtyOffset,
    long CleanedUpTo,
    int SegmentsRewritten = 0,
    long RecordsRead = 0,
    long RecordsRetained = 0,
    long InvalidRecords = 0,
    long BytesRead = 0,
    long BytesWritten = 0,
    bool Aborted = false);
