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
