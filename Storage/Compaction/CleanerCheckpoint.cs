using Orleans.Kafka.Storage.Log;

namespace Orleans.Kafka.Storage.Compaction;

/// <summary>
/// <c>cleaner-offset-checkpoint</c> in the partition directory: the first offset not yet
/// cleaned (Kafka keeps one such file per data directory; one per partition is simpler here).
/// Written atomically (temp file, fsync, rename) like the log's own checkpoints.
/// </summary>
internal static class CleanerCheckpoint
{
    public const string FileName = "cleaner-offset-checkpoint";

    public static long? Read(string directory) => LogCheckpoints.ReadOffset(directory, FileName);

    public static void Write(string directory, long firstDirtyOffset) =>
        LogCheckpoints.WriteOffset(directory, FileName, firstDirtyOffset);
}
