using Orleans.Concurrency;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// Silo-internal registry calls. Topic grains report their committed changes here so the registry's cached
/// <see cref="TopicInfo"/> stays current. Interleaved on purpose: the registry may itself be awaiting the same topic
/// grain (create/delete), and a non-interleaved call would deadlock that pair.
/// </summary>
[Alias("okafka.ITopicRegistrySync")]
public interface ITopicRegistrySync : IGrainWithStringKey
{
    /// <summary>Replaces the cached snapshot if the topic still exists with this id; false when it was deleted meanwhile.</summary>
    [AlwaysInterleave, Alias("TopicChanged")]
    Task<bool> TopicChanged(TopicInfo info);
}

/// <summary>Silo-internal lifecycle of a topic grain, driven only by the registry.</summary>
[Alias("okafka.ITopicLifecycle")]
public interface ITopicLifecycle : IGrainWithStringKey
{
    /// <summary>Stores a freshly created topic, overwriting any leftover state of an earlier topic with this name.</summary>
    [Alias("Initialize")]
    Task Initialize(TopicInfo info);

    /// <summary>Forgets the topic with this id (delete); a later topic with the same name gets a new id.</summary>
    [Alias("Clear")]
    Task Clear(Guid topicId);
}
