using System.Globalization;

namespace Orleans.Kafka.Partitions;

/// <summary>The partition grain's key, "topic/partition": '/' cannot appear in a topic name, so the split is unambiguous.</summary>
public static class PartitionKey
{
    public static string Format(string topic, int partition) =>
        string.Create(CultureInfo.InvariantCulture, $"{topic}/{partition}");

    public static bool TryParse(string key, out string topic, out int partition)
    {
        ArgumentNullException.ThrowIfNull(key);
        var slash = key.LastIndexOf('/');
        topic = slash > 0 ? key[..slash] : string.Empty;
        partition = -1;
        return slash > 0 && int.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out partition);
    }

    public static IPartitionGrain GetPartitionGrain(this IGrainFactory grains, string topic, int partition)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return grains.GetGrain<IPartitionGrain>(Format(topic, partition));
    }
}

/// <summary>A follower replica grain's key, "topic/partition@silo" ('@' cannot appear in a topic name).</summary>
public static class ReplicaKey
{
    public static string Format(string topic, int partition, int siloId) =>
        string.Create(CultureInfo.InvariantCulture, $"{topic}/{partition}@{siloId}");

    public static bool TryParse(string key, out string topic, out int partition, out int siloId)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = key.LastIndexOf('@');
        siloId = -1;
        topic = string.Empty;
        partition = -1;
        return at > 0
            && int.TryParse(key.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out siloId)
            && PartitionKey.TryParse(key[..at], out topic, out partition);
    }

    public static IReplicaGrain GetReplicaGrain(this IGrainFactory grains, string topic, int partition, int siloId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return grains.GetGrain<IReplicaGrain>(Format(topic, partition, siloId));
    }
}
