using System.IO.Hashing;
using System.Runtime.InteropServices;
using Orleans.Kafka.Topics;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// The registry's persisted state, split by a stable hash of the topic name into <see cref="BucketCount"/> records so that a
/// create, delete or change rewrites one bucket (~1/16 of the topics) instead of every topic. With JSON grain storage a
/// single record grew ~0.5 KB per topic, which made each admin write cost O(all topics).
/// </summary>
internal sealed class TopicRegistryStore
{
    /// <summary>Fixed: the bucket of a topic is part of the stored layout, so changing this needs a migration.</summary>
    public const int BucketCount = 16;

    private readonly IPersistentState<TopicRegistryState>[] _buckets;

    /// <summary>Must run in the grain's constructor: states created then are read before OnActivateAsync, as [PersistentState] ones are.</summary>
    public TopicRegistryStore(IPersistentStateFactory factory, IGrainContext context, string storageName)
    {
        _buckets = new IPersistentState<TopicRegistryState>[BucketCount];
        for (var i = 0; i < BucketCount; i++)
        {
            _buckets[i] = factory.Create<TopicRegistryState>(context, new StateConfiguration($"topicRegistry-{i:D2}", storageName));
        }
    }

    public IEnumerable<TopicInfo> Load() => _buckets.SelectMany(b => b.State.Topics).Select(e => e.ToInfo());

    /// <summary>Persists the bucket holding <paramref name="topic"/> as it is in <paramref name="view"/>.</summary>
    public Task SaveBucketOf(string topic, TopicRegistryView view)
    {
        var bucket = Bucket(topic);
        var state = _buckets[bucket];
        state.State = new TopicRegistryState { Topics = [.. view.Topics.Where(t => Bucket(t.Name) == bucket).Select(RegistryEntry.From)] };
        return state.WriteStateAsync();
    }

    /// <summary>xxHash32 of the name's UTF-16 code units: stable across processes, unlike string.GetHashCode.</summary>
    public static int Bucket(string topic) =>
        (int)(XxHash32.HashToUInt32(MemoryMarshal.AsBytes(topic.AsSpan())) % BucketCount);

    private sealed record StateConfiguration(string StateName, string StorageName) : IPersistentStateConfiguration;
}
