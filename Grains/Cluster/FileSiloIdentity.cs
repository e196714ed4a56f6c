using System.Globalization;
using Orleans.Kafka.Cluster;

namespace Orleans.Kafka.Grains.Cluster;

/// <summary>
/// The silo id stored in <c>{log.dirs}/silo.id</c>: read when present, else written once with the initial id. The file
/// lives beside the partition directories because the id names the owner of exactly those files: move the directory to
/// another machine and the partitions follow it.
/// </summary>
public sealed class FileSiloIdentity : ISiloIdentity
{
    public const string FileName = "silo.id";

    private FileSiloIdentity(int siloId) => SiloId = siloId;

    public int SiloId { get; }

    /// <summary>
    /// Loads (or creates with <paramref name="initialId"/>) the id under <paramref name="logDirs"/>. Runs once at start-up,
    /// before the silo starts, so the file I/O is synchronous.
    /// </summary>
    public static FileSiloIdentity Load(string logDirs, int initialId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialId);
        var directory = Path.GetFullPath(logDirs);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var stored))
            {
                throw new InvalidDataException($"{path} does not hold a silo id (a non-negative integer): '{text}'.");
            }

            return new FileSiloIdentity(stored);
        }

        // Through a temporary file and a rename, so a crash never leaves a half-written id.
        var temp = path + ".tmp";
        File.WriteAllText(temp, initialId.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(temp, path, overwrite: true);
        return new FileSiloIdentity(initialId);
    }
}
