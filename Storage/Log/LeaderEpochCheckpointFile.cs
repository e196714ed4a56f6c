using System.Globalization;
using System.Text;

namespace Orleans.Kafka.Storage.Log;

/// <summary>
/// Kafka's <c>leader-epoch-checkpoint</c> text format: a version line (<c>0</c>), a count line,
/// then one <c>epoch startOffset</c> line per entry, oldest first, separated by a space. The same
/// layout Kafka's CheckpointFile uses, so a partition directory reads the same in both.
/// </summary>
internal static class LeaderEpochCheckpointFile
{
    public const string FileName = "leader-epoch-checkpoint";

    private const int CurrentVersion = 0;

    /// <summary>The file's entries in file order; null when there is no file.</summary>
    /// <exception cref="LogException">
    /// <see cref="LogErrorKind.CorruptCheckpoint"/> when the file is not in the format above (wrong
    /// version, count that does not match the lines, a malformed or negative number).
    /// </exception>
    public static List<(int Epoch, long StartOffset)>? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        var lines = text.Split('\n');
        var line = 0;
        string Next() => line < lines.Length ? lines[line++].TrimEnd('\r') : throw Corrupt(path, $"ends after {line} lines");

        var version = ParseInt(Next(), path, "version");
        if (version != CurrentVersion)
        {
            throw Corrupt(path, $"has version {version}; only {CurrentVersion} is known");
        }

        var count = ParseInt(Next(), path, "entry count");
        if (count < 0)
        {
            throw Corrupt(path, $"declares {count} entries");
        }

        var entries = new List<(int, long)>(Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            var fields = Next().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 2)
            {
                throw Corrupt(path, $"entry {i} is not 'epoch startOffset'");
            }

            var epoch = ParseInt(fields[0], path, $"entry {i} epoch");
            if (!long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var startOffset))
            {
                throw Corrupt(path, $"entry {i} start offset '{fields[1]}' is not a non-negative number");
            }

            entries.Add((epoch, startOffset));
        }

        // Only an empty final line (the last newline) may follow the entries.
        while (line < lines.Length)
        {
            if (lines[line++].Trim().Length != 0)
            {
                throw Corrupt(path, $"holds more than the {count} entries it declares");
            }
        }

        return entries;
    }

    /// <summary>Replaces the file atomically (temp file, fsync, rename, directory fsync).</summary>
    public static void Write(string directory, IReadOnlyList<(int Epoch, long StartOffset)> entries)
    {
        var text = new StringBuilder();
        text.Append(CurrentVersion.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append(entries.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var (epoch, startOffset) in entries)
        {
            text.Append(epoch.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(startOffset.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        LogCheckpoints.WriteAtomically(directory, FileName, Encoding.ASCII.GetBytes(text.ToString()), syncDirectory: true);
    }

    private static int ParseInt(string text, string path, string what) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Corrupt(path, $"has {what} '{text}', not a non-negative number");

    private static LogException Corrupt(string path, string detail) =>
        new(LogErrorKind.CorruptCheckpoint, $"Leader epoch checkpoint '{path}' {detail}.");
}
