using System.Text.RegularExpressions;

namespace Orleans.Kafka.Grains.Groups.Consumer;

/// <summary>Where a member is in reconciling its assignment towards its target (Kafka's MemberState).</summary>
public enum MemberReconciliationState
{
    /// <summary>The member has its whole target assignment at the target epoch.</summary>
    Stable,

    /// <summary>The member must first give up partitions it owns that the target gives to others.</summary>
    UnrevokedPartitions,

    /// <summary>The member is at the target epoch but waits for partitions other members have not released yet.</summary>
    UnreleasedPartitions,
}

/// <summary>One member of a consumer-protocol group (in memory; see the grain's persistence notes).</summary>
public sealed class ConsumerProtocolMember(string memberId)
{
    public string MemberId { get; } = memberId;

    public string? InstanceId { get; set; }

    public string? RackId { get; set; }

    public string ClientId { get; set; } = "";

    public string ClientHost { get; set; } = "";

    public int RebalanceTimeoutMs { get; set; }

    public IReadOnlyList<string> SubscribedTopicNames { get; set; } = [];

    public string? SubscribedTopicRegex { get; set; }

    /// <summary>The compiled <see cref="SubscribedTopicRegex"/> (full match, with a match timeout).</summary>
    public Regex? CompiledRegex { get; set; }

    public string? ServerAssignor { get; set; }

    /// <summary>Topic ids the subscription resolves to against the current topic snapshot.</summary>
    public IReadOnlySet<Guid> SubscribedTopicIds { get; set; } = new HashSet<Guid>();

    public int MemberEpoch { get; set; }

    public int PreviousMemberEpoch { get; set; } = -1;

    public MemberReconciliationState State { get; set; } = MemberReconciliationState.Stable;

    /// <summary>Partitions the member has been told it owns (without those pending revocation).</summary>
    public HashSet<TopicIdPartition> Assigned { get; set; } = [];

    /// <summary>Partitions the member must give up before anyone else may have them.</summary>
    public HashSet<TopicIdPartition> PendingRevocation { get; set; } = [];

    /// <summary>Unix ms after which the member is removed unless it heartbeats.</summary>
    public long SessionDeadlineMs { get; set; }

    /// <summary>
    /// Unix ms by which a member asked to revoke partitions must have done so (its rebalance timeout), else it is
    /// removed as Kafka fences it; 0 while nothing is pending revocation.
    /// </summary>
    public long RevocationDeadlineMs { get; set; }

    /// <summary>True when the member's assignment or epoch changed since the last answer that carried it.</summary>
    public bool AssignmentChanged { get; set; } = true;

    /// <summary>A static member that left with epoch -2: its place and assignment wait for it until its session ends.</summary>
    public bool StaticLeft { get; set; }

    /// <summary>The same static member under the new member id it rejoined with: epoch, assignment and subscription carry over.</summary>
    public ConsumerProtocolMember ReplacedBy(string memberId, string clientId, string clientHost) => new(memberId)
    {
        InstanceId = InstanceId,
        RackId = RackId,
        ClientId = clientId,
        ClientHost = clientHost,
        RebalanceTimeoutMs = RebalanceTimeoutMs,
        SubscribedTopicNames = SubscribedTopicNames,
        SubscribedTopicRegex = SubscribedTopicRegex,
        CompiledRegex = CompiledRegex,
        ServerAssignor = ServerAssignor,
        SubscribedTopicIds = SubscribedTopicIds,
        MemberEpoch = MemberEpoch,
        PreviousMemberEpoch = PreviousMemberEpoch,
        State = State,
        Assigned = Assigned,
        PendingRevocation = PendingRevocation,
        RevocationDeadlineMs = RevocationDeadlineMs,
        AssignmentChanged = true,
    };
}
