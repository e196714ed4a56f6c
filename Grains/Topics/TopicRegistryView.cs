using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// An immutable, committed view of the registry: lookups by name, id and '.'/'_' collision key, plus the sorted list.
/// The registry swaps the whole view in one assignment after a write is persisted, so interleaved reads see either
/// the old view or the new one, never a half-applied change.
/// </summary>
internal sealed class TopicRegistryView
{
    public static readonly TopicRegistryView Empty = new([]);

    private readonly Dictionary<string, TopicInfo> _byName;
    private readonly Dictionary<Guid, TopicInfo> _byId;
    private readonly Dictionary<string, string> _byCollisionKey;

    public TopicRegistryView(IEnumerable<TopicInfo> topics)
    {
        Topics = topics.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        _byName = Topics.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _byId = Topics.ToDictionary(t => t.TopicId);
        _byCollisionKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var topic in Topics)
        {
            _byCollisionKey.TryAdd(TopicNames.CollisionKey(topic.Name), topic.Name);
        }
    }

    /// <summary>Sorted by name; never mutated after construction, so it can be handed out as is.</summary>
    public IReadOnlyList<TopicInfo> Topics { get; }

    public TopicInfo? ByName(string name) => _byName.GetValueOrDefault(name);

    public TopicInfo? ById(Guid id) => _byId.GetValueOrDefault(id);

    /// <summary>The existing topic whose name differs from <paramref name="name"/> only by '.' versus '_', if any.</summary>
    public string? CollidingName(string name) =>
        _byCollisionKey.TryGetValue(TopicNames.CollisionKey(name), out var existing) && existing != name ? existing : null;

    public TopicRegistryView With(TopicInfo topic) =>
        new(Topics.Where(t => t.Name != topic.Name).Append(topic));

    public TopicRegistryView Without(string name) => new(Topics.Where(t => t.Name != name));
}
