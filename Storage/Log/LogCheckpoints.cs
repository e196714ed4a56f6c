using System.Globalization;

namespace Orleans.Kafka.Storage.Log;

/// <summary>
/// The small files beside a partition's segments: the recovery point (everything below it is
/// on disk), the log start offset, and the clean-shutdown marker. Each offset file is written to
/// a temporary name, flushed and renamed over the old one so a crash leaves the old or the new.
/// </summary>
internal static class LogCheckpoints
{
    public const string RecoveryPointFile = "recovery-point-offset-checkpoint";
    public const string LogStartOffsetFile = "log-start-offset-checkpoint";
    public const string CleanShutdownFile = ".kafka_cleanshutdown";

    public static long? ReadOffset(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        if (!File.Exists(path))
        {
            return null;
        }

        var text = File.ReadAllText(path).Trim();
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    public static void WriteOffset(string directory, string name, long value) =>
        WriteAtomically(directory, name, System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)), syncDirectory: false);

    /// <summary>
    /// Replaces <paramref name="name"/> in <paramref name="directory"/> with <paramref name="contents"/>:
    /// written to <c>name.tmp</c>, fsynced, renamed over the old file and, with
    /// <paramref name="syncDirectory"/>, the directory fsynced so the rename survives a power loss.
    /// A crash leaves the old file or the new one, never a mix; a leftover <c>.tmp</c> is never read
    /// (and <see cref="PartitionLog.Open"/> deletes it).
    /// </summary>
    public static void WriteAtomically(string directory, string name, ReadOnlySpan<byte> contents, bool syncDirectory)
    {
        var path = Path.Combine(directory, name);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(contents);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        if (syncDirectory)
        {
            Orleans.Kafka.Storage.GrainStorage.DirectorySync.Flush(directory);
        }
    }

    public static bool ConsumeCleanShutdownMarker(string directory)
    {
        var path = Path.Combine(directory, CleanShutdownFile);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    public static void WriteCleanShutdownMarker(string directory)
    {
        using var stream = new FileStream(Path.Combine(directory, CleanShutdownFile), FileMode.Create, FileAccess.Write, FileShare.None);
        stream.Flush(flushToDisk: true);
    }
}
