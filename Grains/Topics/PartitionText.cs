using System.Globalization;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// The compact text form of partition placement kept in grain state: Kafka's replica-assignment notation
/// ("1:2,2:1": partitions separated by ',', a partition's broker ids by ':') for replicas and ISRs, comma-separated
/// integers for leader epochs and leaders, and the same notation with empty entries for reassignment lists.
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

    /// <summary>
    /// Per-partition lists that may be empty (reassignment adding/removing replicas): "" when every list is empty, else
    /// one entry per partition in replica notation, empty entries allowed (",4:5," for three partitions).
    /// </summary>
    public static string EncodeOptionalLists(IEnumerable<IReadOnlyList<int>> partitions)
    {
        var lists = partitions.ToList();
        return lists.All(l => l.Count == 0) ? "" : EncodeReplicas(lists);
    }

    public static IReadOnlyList<int[]> DecodeOptionalLists(string text, int partitions)
    {
        if (text.Length == 0)
        {
            return [.. Enumerable.Range(0, partitions).Select(_ => Array.Empty<int>())];
        }

        var entries = text.Split(',');
        return entries.Length == partitions
            ? [.. entries.Select(e => e.Length == 0 ? [] : e.Split(':').Select(Parse).ToArray())]
            : throw new InvalidDataException($"Stored topic state has {entries.Length} reassignment entries for {partitions} partition(s).");
    }

    public static string EncodeEpochs(IEnumerable<int> epochs) =>
        string.Join(",", epochs.Select(e => e.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Decodes epochs and checks there is one per partition.</summary>
    public static IReadOnlyList<int> DecodeEpochs(string text, int partitions) => DecodeInts(text, partitions, "leader epoch");

    /// <summary>Decodes one integer per partition (epochs, leaders) and checks the count; <paramref name="what"/> names them in errors.</summary>
    public static IReadOnlyList<int> DecodeInts(string text, int partitions, string what)
    {
        int[] values = text.Length == 0 ? [] : [.. text.Split(',').Select(Parse)];
        return values.Length == partitions
            ? values
            : throw new InvalidDataException($"Stored topic state has {values.Length} {what}(s) for {partitions} partition(s).");
    }

    private static int Parse(string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw Corrupt(value);

    private static InvalidDataException Corrupt(string text) =>
        new($"Stored topic state holds an unreadable partition list: '{text}'.");
}
