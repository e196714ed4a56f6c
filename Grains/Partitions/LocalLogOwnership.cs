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

    public bool TryAcquire(string directory, object owner) =>
        _owners.TryAdd(Normalize(directory), owner) || ReferenceEquals(_owners.GetValueOrDefault(Normalize(directory)), owner);

    public void Release(string directory, object owner) =>
        _owners.TryRemove(new KeyValuePair<string, object>(Normalize(directory), owner));

    public bool IsHeld(string directory) => _owners.ContainsKey(Normalize(directory));

    private static string Normalize(string directory) => Path.GetFullPath(directory);
}
