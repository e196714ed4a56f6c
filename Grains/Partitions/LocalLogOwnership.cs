using System.Collections.Concurrent;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// Which activation on this silo has a partition directory open. The leader grain ("topic/partition") and the follower
/// grain ("topic/partition@silo") of the same silo use the same directory at different times; Orleans guarantees one
/// activation of each grain, not one writer of a directory, so this silo-wide table does: a grain opens a log only
/// after acquiring its directory and releases it after closing.
/// </summary>
public sealed class LocalLogOwnership
{
    private readonly ConcurrentDictionary<string, object> _owners = new(StringComparer.Ordinal);

    // The high watermark the last owner knew when it closed the directory, handed to the next owner on this silo.
    private readonly ConcurrentDictionary<string, long> _lastHighWatermarks = new(StringComparer.Ordinal);

    public bool TryAcquire(string directory, object owner) =>
        _owners.TryAdd(Normalize(directory), owner) || ReferenceEquals(_owners.GetValueOrDefault(Normalize(directory)), owner);

    public void Release(string directory, object owner) =>
        _owners.TryRemove(new KeyValuePair<string, object>(Normalize(directory), owner));

    /// <summary>
    /// Releases the directory and remembers the high watermark its owner knew (-1: none). A leader activation that replaces
    /// another on this silo (Orleans re-activates partitions whose directory entry died with another silo) starts from it
    /// rather than from the log start, so ListOffsets and fetches do not step back until every follower has fetched again.
    /// </summary>
    public void Release(string directory, object owner, long highWatermark)
    {
        // Always replaced: an older value may be above what a later owner kept (a truncated copy knows less).
        if (highWatermark >= 0)
        {
            _lastHighWatermarks[Normalize(directory)] = highWatermark;
        }
        else
        {
            _lastHighWatermarks.TryRemove(Normalize(directory), out _);
        }

        Release(directory, owner);
    }

    /// <summary>The high watermark the directory's last owner on this silo knew when it closed, or -1.</summary>
    public long LastHighWatermark(string directory) => _lastHighWatermarks.GetValueOrDefault(Normalize(directory), -1);

    public bool IsHeld(string directory) => _owners.ContainsKey(Normalize(directory));

    private static string Normalize(string directory) => Path.GetFullPath(directory);
}
