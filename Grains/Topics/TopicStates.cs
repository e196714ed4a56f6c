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
/// Partitions are kept as short strings rather than a list of objects: JSON grain storage serializers tag every
/// object and list with its type, which made a 4-partition topic cost ~1.5 KB; this form costs a few bytes a partition.
/// State written before replication existed has no <see cref="Leaders"/> and <see cref="Isrs"/>: it reads as leader =
/// first replica and ISR = all replicas, which is what that code served.
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

    /// <summary>Leader silo id per partition, comma separated (-1: offline); "" in state older than replication.</summary>
    [Id(6)]
    public string Leaders { get; set; } = "";

    /// <summary>In-sync replicas per partition in replica notation ("1:2,2"); "" in state older than replication.</summary>
    [Id(7)]
    public string Isrs { get; set; } = "";

    /// <summary>Replicas being added by a reassignment, per partition (see <see cref="PartitionText.EncodeOptionalLists"/>); "" when none.</summary>
    [Id(8)]
    public string AddingReplicas { get; set; } = "";

    /// <summary>Replicas being removed by a reassignment, per partition; "" when none.</summary>
    [Id(9)]
    public string RemovingReplicas { get; set; } = "";

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
            Leaders = PartitionText.EncodeEpochs(partitions.Select(p => p.Leader)),
            Isrs = PartitionText.EncodeReplicas(partitions.Select(p => p.Isr)),
            AddingReplicas = PartitionText.EncodeOptionalLists(partitions.Select(p => p.Adding)),
            RemovingReplicas = PartitionText.EncodeOptionalLists(partitions.Select(p => p.Removing)),
            Configs = new Dictionary<string, string>(info.ConfigOverrides),
            IsInternal = info.IsInternal,
        };
    }

    /// <summary>An immutable snapshot: fresh collections that nothing else holds, as <see cref="TopicInfo"/>'s [Immutable] promises.</summary>
    public TopicInfo ToInfo(string name)
    {
        var replicas = PartitionText.DecodeReplicas(Replicas);
        var count = replicas.Count;
        var epochs = PartitionText.DecodeEpochs(LeaderEpochs, count);
        var leaders = Leaders.Length == 0 ? [.. replicas.Select(r => r[0])] : PartitionText.DecodeInts(Leaders, count, "leader");
        var isrs = Isrs.Length == 0 ? replicas : PartitionText.DecodeReplicas(Isrs);
        if (isrs.Count != count)
        {
            throw new InvalidDataException($"Stored topic state has {isrs.Count} ISR(s) for {count} partition(s).");
        }

        var adding = PartitionText.DecodeOptionalLists(AddingReplicas, count);
        var removing = PartitionText.DecodeOptionalLists(RemovingReplicas, count);
        var partitions = new PartitionInfo[count];
        for (var i = 0; i < partitions.Length; i++)
        {
            partitions[i] = new PartitionInfo(i, leaders[i], epochs[i], replicas[i], [.. isrs[i]],
                adding[i].Length == 0 ? null : adding[i], removing[i].Length == 0 ? null : removing[i]);
        }

        return new TopicInfo(name, TopicId, partitions, new Dictionary<string, string>(Configs), IsInternal);
    }

    /// <summary>A copy with <paramref name="added"/> partitions appended: leader = first replica, ISR = all replicas, epoch 0.</summary>
    public TopicState WithPartitions(IEnumerable<IReadOnlyList<int>> added)
    {
        var info = ToInfo("");
        var existing = info.Partitions.Count;
        var grown = info.Partitions.Concat(added.Select((replicas, i) => NewPartition(existing + i, replicas))).ToArray();
        return From(info with { Partitions = grown });
    }

    /// <summary>A copy with some partitions' replication state replaced (by index).</summary>
    public TopicState WithPartitionStates(IEnumerable<PartitionInfo> changed)
    {
        var info = ToInfo("");
        var partitions = info.Partitions.ToArray();
        foreach (var partition in changed)
        {
            partitions[partition.Index] = partition;
        }

        return From(info with { Partitions = partitions });
    }

    /// <summary>A new partition's replication state: the preferred replica leads, every replica is in sync (nothing to copy yet).</summary>
    public static PartitionInfo NewPartition(int index, IReadOnlyList<int> replicas) =>
        new(index, replicas[0], 0, [.. replicas], [.. replicas]);

    /// <summary>A copy with the given config overrides.</summary>
    public TopicState WithConfigs(IReadOnlyDictionary<string, string> overrides) => new()
    {
        TopicId = TopicId,
        Replicas = Replicas,
        LeaderEpochs = LeaderEpochs,
        Leaders = Leaders,
        Isrs = Isrs,
        AddingReplicas = AddingReplicas,
        RemovingReplicas = RemovingReplicas,
        Configs = new Dictionary<string, string>(overrides),
        IsInternal = IsInternal,
    };
}
