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

/// <summary>Persisted state of <see cref="TopicGrain"/>. An empty <see cref="TopicId"/> means "no such topic".</summary>
[GenerateSerializer, Alias("okafka.TopicState")]
public sealed class TopicState
{
    [Id(0)]
    public Guid TopicId { get; set; }

    [Id(1)]
    public List<PartitionState> Partitions { get; set; } = [];

    [Id(2)]
    public Dictionary<string, string> Configs { get; set; } = [];

    [Id(3)]
    public bool IsInternal { get; set; }

    public static TopicState From(TopicInfo info) => new()
    {
        TopicId = info.TopicId,
        Partitions = [.. info.Partitions.OrderBy(p => p.Index).Select(p => new PartitionState { Replicas = [.. p.Replicas], LeaderEpoch = p.LeaderEpoch })],
        Configs = new Dictionary<string, string>(info.ConfigOverrides),
        IsInternal = info.IsInternal,
    };

    /// <summary>An immutable snapshot: fresh collections that nothing else holds, as <see cref="TopicInfo"/>'s [Immutable] promises.</summary>
    public TopicInfo ToInfo(string name) => new(
        name,
        TopicId,
        [.. Partitions.Select((p, index) => new PartitionInfo(index, p.Replicas[0], p.LeaderEpoch, [.. p.Replicas], [.. p.Replicas]))],
        new Dictionary<string, string>(Configs),
        IsInternal);

    public TopicState Copy() => new()
    {
        TopicId = TopicId,
        Partitions = [.. Partitions.Select(p => new PartitionState { Replicas = [.. p.Replicas], LeaderEpoch = p.LeaderEpoch })],
        Configs = new Dictionary<string, string>(Configs),
        IsInternal = IsInternal,
    };
}

[GenerateSerializer, Alias("okafka.PartitionState")]
public sealed class PartitionState
{
    /// <summary>Broker ids, preferred leader first.</summary>
    [Id(0)]
    public List<int> Replicas { get; set; } = [];

    [Id(1)]
    public int LeaderEpoch { get; set; }
}
