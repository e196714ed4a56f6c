using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// Persisted state of <see cref="TopicRegistryGrain"/>: every live topic's snapshot; the name→id map is derived from it.
/// Plain mutable classes (not the wire records) so any grain storage serializer, JSON included, can round-trip them.
/// </summary>
[GenerateSerializer, Alias("okafka.TopicRegistryState")]
public sealed class TopicRegistryState
{
    [Id(0)]
    public List<RegistryEntry> Topics { get; set; } = [];
}

/// <summary>The registry's cached copy of one topic.</summary>
[GenerateSerializer, Alias("okafka.RegistryEntry")]
public sealed class RegistryEntry
{
    [Id(0)]
    public string Name { get; set; } = "";

    [Id(1)]
    public TopicState Topic { get; set; } = new();

    public static RegistryEntry From(TopicInfo info) => new() { Name = info.Name, Topic = TopicState.From(info) };

    public TopicInfo ToInfo() => Topic.ToInfo(Name);
}

/// <summary>
/// Persisted state of <see cref="TopicGrain"/>. An empty <see cref="TopicId"/> means "no such topic".
/// Partitions are kept as two short strings rather than a list of objects: JSON grain storage serializers tag every
/// object and list with its type, which made a 4-partition topic cost ~1.5 KB; this form costs a few bytes a partition.
/// </summary>
[GenerateSerializer, Alias("okafka.TopicState")]
public sealed class TopicState
{
    [Id(0)]
    public Guid TopicId { get; set; }

    /// <summary>Replica broker ids per partition in Kafka's replica-assignment notation: "1:2,2:1" (preferred leader first).</summary>
    [Id(4)]
    public string Replicas { get; set; } = "";

    /// <summary>Leader epoch per partition, comma separated, in partition order.</summary>
    [Id(5)]
    public string LeaderEpochs { get; set; } = "";

    [Id(2)]
    public Dictionary<string, string> Configs { get; set; } = [];

    [Id(3)]
    public bool IsInternal { get; set; }

    public static TopicState From(TopicInfo info)
    {
        var partitions = info.Partitions.OrderBy(p => p.Index).ToList();
        return new TopicState
        {
            TopicId = info.TopicId,
            Replicas = PartitionText.EncodeReplicas(partitions.Select(p => p.Replicas)),
            LeaderEpochs = PartitionText.EncodeEpochs(partitions.Select(p => p.LeaderEpoch)),
            Configs = new Dictionary<string, string>(info.ConfigOverrides),
            IsInternal = info.IsInternal,
        };
    }

    /// <summary>An immutable snapshot: fresh collections that nothing else holds, as <see cref="TopicInfo"/>'s [Immutable] promises.</summary>
    public TopicInfo ToInfo(string name)
    {
        var replicas = PartitionText.DecodeReplicas(Replicas);
        var epochs = PartitionText.DecodeEpochs(LeaderEpochs, replicas.Count);
        var partitions = new PartitionInfo[replicas.Count];
        for (var i = 0; i < partitions.Length; i++)
        {
            partitions[i] = new PartitionInfo(i, replicas[i][0], epochs[i], replicas[i], [.. replicas[i]]);
        }

        return new TopicInfo(name, TopicId, partitions, new Dictionary<string, string>(Configs), IsInternal);
    }

    /// <summary>A copy with <paramref name="added"/> partitions appended (leader epoch 0).</summary>
    public TopicState WithPartitions(IEnumerable<IReadOnlyList<int>> added)
    {
        var existing = PartitionText.DecodeReplicas(Replicas);
        var epochs = PartitionText.DecodeEpochs(LeaderEpochs, existing.Count);
        var replicas = existing.Concat(added).ToList();
        return new TopicState
        {
            TopicId = TopicId,
            Replicas = PartitionText.EncodeReplicas(replicas),
            LeaderEpochs = PartitionText.EncodeEpochs(epochs.Concat(Enumerable.Repeat(0, replicas.Count - existing.Count))),
            Configs = new Dictionary<string, string>(Configs),
            IsInternal = IsInternal,
        };
    }

    /// <summary>A copy with the given config overrides.</summary>
    public TopicState WithConfigs(IReadOnlyDictionary<string, string> overrides) => new()
    {
        TopicId = TopicId,
        Replicas = Replicas,
        LeaderEpochs = LeaderEpochs,
        Configs = new Dictionary<string, string>(overrides),
        IsInternal = IsInternal,
    };
}
