using Orleans.Concurrency;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Groups;

/// <summary>
/// A consumer group's coordinator (key: the group id): membership, rebalances and committed offsets.
/// The membership and offset calls are declared in the partial interface files beside this one;
/// the calls here are the ones admin APIs use.
/// </summary>
[Alias("okafka.IConsumerGroupGrain")]
public partial interface IConsumerGroupGrain : IGrainWithStringKey
{
    /// <summary>DescribeGroups / ListGroups view of the group.</summary>
    [AlwaysInterleave, Alias("Describe")]
    Task<GroupDescription> Describe();

    /// <summary>
    /// DeleteGroups: NON_EMPTY_GROUP while members are active, GROUP_ID_NOT_FOUND when the group does not exist,
    /// else removes the group with its committed offsets and unregisters it.
    /// </summary>
    [Alias("Delete")]
    Task<KafkaErrorCode> Delete();
}

/// <summary>Kafka's group state names, as ListGroups/DescribeGroups return them.</summary>
public static class GroupStates
{
    public const string Empty = "Empty";
    public const string PreparingRebalance = "PreparingRebalance";
    public const string CompletingRebalance = "CompletingRebalance";
    public const string Stable = "Stable";
    public const string Dead = "Dead";
}

[GenerateSerializer, Immutable, Alias("okafka.GroupDescription")]
public sealed record GroupDescription(
    [property: Id(0)] string GroupId,
    [property: Id(1)] bool Exists,
    [property: Id(2)] string State,
    [property: Id(3)] string ProtocolType,
    [property: Id(4)] string ProtocolName,
    [property: Id(5)] IReadOnlyList<GroupMemberDescription> Members,
    [property: Id(6)] string GroupType = "classic");

[GenerateSerializer, Immutable, Alias("okafka.GroupMemberDescription")]
public sealed record GroupMemberDescription(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string? GroupInstanceId,
    [property: Id(2)] string ClientId,
    [property: Id(3)] string ClientHost,
    [property: Id(4)] byte[] Metadata,
    [property: Id(5)] byte[] Assignment);

/// <summary>The catalogue of groups (one activation, key <see cref="Key"/>), for ListGroups.</summary>
[Alias("okafka.IGroupRegistryGrain")]
public interface IGroupRegistryGrain : IGrainWithStringKey
{
    public const string Key = "groups";

    /// <summary>Called by a group grain when the group first comes into being (idempotent).</summary>
    [Alias("Register")]
    Task Register(string groupId);

    /// <summary>Called by a group grain when the group is deleted or expires (idempotent).</summary>
    [Alias("Unregister")]
    Task Unregister(string groupId);

    [AlwaysInterleave, Alias("ListGroupIds")]
    Task<IReadOnlyList<string>> ListGroupIds();
}
