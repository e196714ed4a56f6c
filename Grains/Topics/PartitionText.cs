using System.Globalization;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// The compact text form of partition placement kept in grain state: Kafka's replica-assignment notation
/// ("1:2,2:1": partitions separated by ',', a partition's broker ids by ':') and comma-separated leader epochs.
/// </summary>
internal static class PartitionText
{
    public static string EncodeReplicas(IEnumerable<IReadOnlyList<int>> partitions) =>
        string.Join(",", partitions.Select(r => string.Join(":", r.Select(b => b.ToString(CultureInfo.InvariantCulture)))));

    public static IReadOnlyList<int[]> DecodeReplicas(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        return [.. text.Split(',').Select(partition =>
        {
            var replicas = partition.Split(':').Select(Parse).ToArray();
            return replicas.Length > 0 ? replicas : throw Corrupt(text);
        })];
    }

    public static string EncodeEpochs(IEnumerable<int> epochs) =>
        string.Join(",", epochs.Select(e => e.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Decodes epochs and checks there is one per partition.</summary>
    public static IReadOnlyList<int> DecodeEpochs(string text, int partitions)
    {
        int[] epochs = text.Length == 0 ? [] : [.. text.Split(',').Select(Parse)];
        return epochs.Length == partitions
            ? epochs
            : throw new InvalidDataException($"Stored topic state has {epochs.Length} leader epoch(s) for {partitions} partition(s).");
    }

    private static int Parse(string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw Corrupt(value);

    private static InvalidDataException Corrupt(string text) =>
        new($"Stored topic state holds an unreadable partition list: '{text}'.");
}
