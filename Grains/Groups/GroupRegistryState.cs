namespace Orleans.Kafka.Grains.Groups;

/// <summary>
/// One persisted bucket of <see cref="GroupRegistryGrain"/>: the ids of the live groups whose id hashes to it.
/// A plain mutable class so any grain storage serializer, JSON included, can round-trip it.
/// </summary>
[GenerateSerializer, Alias("okafka.GroupRegistryState")]
public sealed class GroupRegistryState
{
    [Id(0)]
    public List<string> GroupIds { get; set; } = [];
}
