using Orleans.Kafka.Groups;

namespace Orleans.Kafka.Grains.Groups;

/// <summary>A member of a group, in memory only: its protocols, timeouts, assignment and parked JoinGroup/SyncGroup answers.</summary>
internal sealed class GroupMember(string memberId, JoinGroupCommand join)
{
    public string MemberId { get; } = memberId;

    public string? GroupInstanceId { get; } = join.GroupInstanceId;

    public string ClientId { get; private set; } = join.ClientId;

    public string ClientHost { get; private set; } = join.ClientHost;

    public int SessionTimeoutMs { get; private set; } = join.SessionTimeoutMs;

    public int RebalanceTimeoutMs { get; private set; } = join.RebalanceTimeoutMs;

    public IReadOnlyList<GroupProtocol> Protocols { get; private set; } = join.Protocols;

    public byte[] Assignment { get; set; } = [];

    /// <summary>Set while the member's JoinGroup waits for the rebalance to complete.</summary>
    public TaskCompletionSource<JoinGroupResult>? AwaitingJoin { get; set; }

    /// <summary>Set while the member's SyncGroup waits for the leader's assignment.</summary>
    public TaskCompletionSource<SyncGroupResult>? AwaitingSync { get; set; }

    public IGrainTimer? SessionTimer { get; set; }

    /// <summary>Unix ms when the session ends without another heartbeat (guards against a tick queued before a re-arm).</summary>
    public long SessionDeadlineMs { get; set; }

    public bool IsStatic => GroupInstanceId is not null;

    public void Update(JoinGroupCommand join)
    {
        ClientId = join.ClientId;
        ClientHost = join.ClientHost;
        SessionTimeoutMs = join.SessionTimeoutMs;
        RebalanceTimeoutMs = join.RebalanceTimeoutMs;
        Protocols = join.Protocols;
    }

    public bool Supports(string protocol) => Protocols.Any(p => p.Name == protocol);

    public byte[] MetadataFor(string? protocol) => Protocols.FirstOrDefault(p => p.Name == protocol)?.Metadata ?? [];

    /// <summary>Same protocols with the same metadata, in the same order (a rejoin that changes nothing).</summary>
    public bool SameProtocols(IReadOnlyList<GroupProtocol> other) =>
        other.Count == Protocols.Count
        && other.Zip(Protocols).All(pair => pair.First.Name == pair.Second.Name && pair.First.Metadata.AsSpan().SequenceEqual(pair.Second.Metadata));

    public static TaskCompletionSource<T> NewWaiter<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
