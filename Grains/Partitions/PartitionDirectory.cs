using System.Globalization;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// A partition's directory, <c>{log.dirs}/{topic}-{partition}</c> as in Kafka, and its <c>partition.metadata</c> file
/// naming the topic id the data belongs to. A directory whose file names another id (the topic was deleted and
/// recreated while this silo was down) or has no file is stale: it is wiped before the log opens, so a recreated topic
/// never serves the old topic's records.
/// </summary>
internal static class PartitionDirectory
{
    public const string MetadataFile = "partition.metadata";

    public static string PathFor(string logDirs, string topic, int partition) =>
        Path.Combine(Path.GetFullPath(logDirs), string.Create(CultureInfo.InvariantCulture, $"{topic}-{partition}"));

    /// <summary>The topic id recorded in the directory, or null when there is none (or it is unreadable).</summary>
    public static Guid? ReadTopicId(string directory)
    {
        var path = Path.Combine(directory, MetadataFile);
        if (!File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            const string Prefix = "topic_id:";
            if (line.StartsWith(Prefix, StringComparison.Ordinal) && Guid.TryParse(line.AsSpan(Prefix.Length).Trim(), out var id))
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>
    /// Makes <paramref name="directory"/> hold data of <paramref name="topicId"/>: wipes it when it belongs to another
    /// topic (or to none), then records the id. Returns true when stale data was deleted.
    /// </summary>
    public static bool Prepare(string directory, Guid topicId)
    {
        var wiped = false;
        if (Directory.Exists(directory) && ReadTopicId(directory) != topicId)
        {
            Directory.Delete(directory, recursive: true);
            wiped = true;
        }

        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, MetadataFile);
        if (!File.Exists(path))
        {
            // Written through a temporary file and renamed, so a crash never leaves a half-written id.
            var temp = path + ".tmp";
            File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture, $"version: 0\ntopic_id: {topicId:D}\n"));
            File.Move(temp, path, overwrite: true);
        }

        return wiped;
    }

    /// <summary>Deletes the directory if it holds <paramref name="topicId"/>'s data (or no id at all).</summary>
    public static bool DeleteIfOwnedBy(string directory, Guid topicId)
    {
        if (!Directory.Exists(directory))
        {
            return false;
        }

        var owner = ReadTopicId(directory);
        if (owner is not null && owner != topicId)
        {
            return false;
        }

        Directory.Delete(directory, recursive: true);
        return true;
    }
}
