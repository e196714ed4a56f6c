using System.Text.RegularExpressions;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Grains.Groups.Consumer;

/// <summary>
/// The state machine of one KIP-848 consumer group, free of Orleans so it can be tested directly; the group grain
/// feeds it heartbeats, topic snapshots and the clock.
///
/// Epochs: the group epoch bumps whenever membership, a subscription, or the partition count of a subscribed topic
/// changes; when it is ahead of the assignment epoch the target assignment is recomputed (by the assignor most members
/// ask for, else "uniform") and stamped with the group epoch. Each member then reconciles towards its target on its own
/// heartbeats (<see cref="MemberReconciler"/>).
/// </summary>
public sealed class ConsumerProtocolGroup
{
    /// <summary>Regex subscriptions are matched with .NET's engine (Kafka uses RE2/J) under this timeout.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    private readonly Dictionary<string, ConsumerProtocolMember> _members = new(StringComparer.Ordinal);
    private Dictionary<string, IReadOnlySet<TopicIdPartition>> _target = new(StringComparer.Ordinal);
    private IReadOnlyList<AssignableTopic> _topics = [];
    private Dictionary<Guid, int> _subscribedMetadata = [];

    public int GroupEpoch { get; private set; }

    public int AssignmentEpoch { get; private set; }

    public string AssignorName { get; private set; } = PartitionAssignors.Default.Name;

    public IReadOnlyDictionary<string, ConsumerProtocolMember> Members => _members;

    /// <summary>Kafka's consumer group states: Empty, Assigning (target behind the group epoch), Reconciling, Stable.</summary>
    public string State =>
        _members.Count == 0 ? GroupStates.Empty
        : GroupEpoch > AssignmentEpoch ? "Assigning"
        : _members.Values.Any(m => m.State != MemberReconciliationState.Stable || m.MemberEpoch != AssignmentEpoch) ? "Reconciling"
        : GroupStates.Stable;

    /// <summary>Restores the epoch after a restart, so new member epochs stay above any a client still remembers.</summary>
    public void RestoreEpoch(int groupEpoch)
    {
        GroupEpoch = Math.Max(GroupEpoch, groupEpoch);
        AssignmentEpoch = Math.Max(AssignmentEpoch, groupEpoch);
    }

    public IReadOnlySet<TopicIdPartition> TargetOf(string memberId) =>
        _target.TryGetValue(memberId, out var t) ? t : PartitionSets.Empty;

    public string? TopicName(Guid topicId) => _topics.FirstOrDefault(t => t.TopicId == topicId)?.Name;

    /// <summary>Names of the topics some member subscribes to (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC).</summary>
    public IReadOnlySet<string> SubscribedTopicNames() =>
        _members.Values.SelectMany(m => m.SubscribedTopicIds).Select(TopicName).OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>Takes a new topic snapshot: re-resolves subscriptions and bumps the epoch when what members subscribe to changed.</summary>
    public bool UpdateTopics(IReadOnlyList<AssignableTopic> topics)
    {
        _topics = topics;
        foreach (var member in _members.Values)
        {
            member.SubscribedTopicIds = Resolve(member);
        }

        return BumpIfSubscriptionsChanged();
    }

    /// <summary>Validates a heartbeat as Kafka does before touching the group; null when it is well formed.</summary>
    public static ConsumerHeartbeatResult? Validate(ConsumerHeartbeatCommand c)
    {
        if (c.MemberEpoch < -2)
        {
            return ConsumerHeartbeatResult.Failed(KafkaErrorCode.InvalidRequest, "MemberEpoch is invalid.");
        }

        if (c.MemberEpoch != 0 && string.IsNullOrEmpty(c.MemberId))
        {
            return ConsumerHeartbeatResult.Failed(KafkaErrorCode.InvalidRequest, "MemberId can't be empty.");
        }

        if (c.InstanceId is { Length: 0 })
        {
            return ConsumerHeartbeatResult.Failed(KafkaErrorCode.InvalidRequest, "InstanceId can't be empty.");
        }

        if (c.MemberEpoch == 0)
        {
            if (c.RebalanceTimeoutMs == -1)
            {
                return ConsumerHeartbeatResult.Failed(KafkaErrorCode.InvalidRequest, "RebalanceTimeoutMs must be provided in first request.");
            }

            if (c.OwnedPartitions is { Count: > 0 })
            {
                return ConsumerHeartbeatResult.Failed(KafkaErrorCode.InvalidRequest, "TopicPartitions must be empty when (re-)joining.");
            }

            if (c.SubscribedTopicNames is null && c.SubscribedTopicRegex is null)
            {
                return ConsumerHeartbeatResult.Failed(KafkaErrorCode.InvalidRequest, "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
            }
        }

        if (c.ServerAssignor is not null && PartitionAssignors.Find(c.ServerAssignor) is null)
        {
            return ConsumerHeartbeatResult.Failed(KafkaErrorCode.UnsupportedAssignor, $"ServerAssignor {c.ServerAssignor} is not supported.");
        }

        if (c.SubscribedTopicRegex is { Length: > 0 } regex && CompileRegex(regex) is null)
        {
            return ConsumerHeartbeatResult.Failed(KafkaErrorCode.InvalidRegularExpression, $"SubscribedTopicRegex `{regex}` is not a valid regular expression.");
        }

        return null;
    }

    /// <summary>
    /// Handles a validated heartbeat at <paramref name="nowMs"/>; <paramref name="newMemberId"/> names a member joining
    /// without an id (v0).
    /// </summary>
    public ConsumerHeartbeatResult Heartbeat(
        ConsumerHeartbeatCommand c, long nowMs, int sessionTimeoutMs, int heartbeatIntervalMs, Func<string> newMemberId)
    {
        if (c.MemberEpoch is -1 or -2)
        {
            if (!_members.ContainsKey(c.MemberId))
            {
                return ConsumerHeartbeatResult.Failed(KafkaErrorCode.UnknownMemberId, $"Member {c.MemberId} is not a member of the group.");
            }

            var leaving = _members[c.MemberId];
            if (c.MemberEpoch == -2 && leaving.InstanceId is not null)
            {
                // A static member leaving temporarily keeps its place (and partitions) for one session timeout.
                leaving.StaticLeft = true;
                leaving.SessionDeadlineMs = nowMs + sessionTimeoutMs;
            }
            else
            {
                RemoveMember(c.MemberId);
            }

            return new ConsumerHeartbeatResult(KafkaErrorCode.None, null, c.MemberId, c.MemberEpoch, 0, null);
        }

        ConsumerProtocolMember member;
        var bump = false;
        if (c.MemberEpoch == 0)
        {
            var id = string.IsNullOrEmpty(c.MemberId) ? newMemberId() : c.MemberId;
            var previous = c.InstanceId is null ? null : _members.Values.FirstOrDefault(m => m.InstanceId == c.InstanceId && m.MemberId != id);
            if (previous is { StaticLeft: false })
            {
                return ConsumerHeartbeatResult.Failed(KafkaErrorCode.UnreleasedInstanceId,
                    $"Static member {c.InstanceId} with epoch {previous.MemberEpoch} is currently active with member id {previous.MemberId}.");
            }

            if (previous is not null)
            {
                // The static member is back under a new member id: it takes over its old place without a new group epoch.
                member = previous.ReplacedBy(id, c.ClientId, c.ClientHost);
                _members.Remove(previous.MemberId);
                _members[id] = member;
                if (_target.Remove(previous.MemberId, out var target))
                {
                    _target[id] = target;
                }
            }
            else
            {
                // A member rejoining with epoch 0 under its old id has dropped its partitions: start it afresh.
                _members.Remove(id);
                member = new ConsumerProtocolMember(id) { ClientId = c.ClientId, ClientHost = c.ClientHost };
                _members[id] = member;
                bump = true;
            }
        }
        else
        {
            if (!_members.TryGetValue(c.MemberId, out var known))
            {
                return ConsumerHeartbeatResult.Failed(KafkaErrorCode.UnknownMemberId, $"Member {c.MemberId} is not a member of the group.");
            }

            member = known;
            if (c.MemberEpoch != member.MemberEpoch && !IsLostResponseRetry(member, c))
            {
                return ConsumerHeartbeatResult.Failed(KafkaErrorCode.FencedMemberEpoch,
                    $"The consumer group member has a smaller or larger member epoch ({c.MemberEpoch}) than the one known by the group coordinator ({member.MemberEpoch}).");
            }
        }

        member.StaticLeft = false;
        bump |= ApplySubscription(member, c);
        member.SessionDeadlineMs = nowMs + sessionTimeoutMs;
        if (bump)
        {
            member.SubscribedTopicIds = Resolve(member);
            GroupEpoch++;
            BumpIfSubscriptionsChanged();
        }

        EnsureTargetAssignment();
        var owned = c.OwnedPartitions is null ? null : PartitionSets.From(c.OwnedPartitions.Select(t => (t.TopicId, (IEnumerable<int>)t.Partitions)));
        if (MemberReconciler.Reconcile(member, TargetOf(member.MemberId), AssignmentEpoch, owned, p => OwnedByOther(member.MemberId, p)))
        {
            member.AssignmentChanged = true;
        }

        member.RevocationDeadlineMs = member.State != MemberReconciliationState.UnrevokedPartitions ? 0
            : member.RevocationDeadlineMs > 0 ? member.RevocationDeadlineMs
            : nowMs + member.RebalanceTimeoutMs;

        // Kafka answers with the assignment when it changed, or when the member sent its owned partitions (a full request).
        IReadOnlyList<TopicIdPartitions>? assignment = null;
        if (member.AssignmentChanged || c.OwnedPartitions is not null || c.MemberEpoch == 0)
        {
            assignment = Describe(member.Assigned);
            member.AssignmentChanged = false;
        }

        return new ConsumerHeartbeatResult(KafkaErrorCode.None, null, member.MemberId, member.MemberEpoch, heartbeatIntervalMs, assignment);
    }

    /// <summary>Removes members whose session ran out or who did not revoke within their rebalance timeout; returns their ids.</summary>
    public IReadOnlyList<string> ExpireMembers(long nowMs)
    {
        var expired = _members.Values
            .Where(m => m.SessionDeadlineMs <= nowMs || (m.RevocationDeadlineMs > 0 && m.RevocationDeadlineMs <= nowMs))
            .Select(m => m.MemberId).ToList();
        foreach (var id in expired)
        {
            RemoveMember(id);
        }

        return expired;
    }

    /// <summary>
    /// OffsetCommit from a member of this group (KIP-848): UNKNOWN_MEMBER_ID for a stranger, STALE_MEMBER_EPOCH when the
    /// epoch is not the member's current one. An empty member id with epoch -1 is a simple (assign()) commit.
    /// </summary>
    public KafkaErrorCode ValidateOffsetCommit(string memberId, int memberEpoch)
    {
        if (memberEpoch < 0 && string.IsNullOrEmpty(memberId))
        {
            return KafkaErrorCode.None;
        }

        if (!_members.TryGetValue(memberId, out var member))
        {
            return KafkaErrorCode.UnknownMemberId;
        }

        return memberEpoch == member.MemberEpoch ? KafkaErrorCode.None : KafkaErrorCode.StaleMemberEpoch;
    }

    /// <summary>Topic-id partitions with names, grouped by topic.</summary>
    public IReadOnlyList<TopicIdPartitions> Describe(IEnumerable<TopicIdPartition> partitions) =>
        PartitionSets.ByTopic(partitions).Select(t => new TopicIdPartitions(t.TopicId, t.Partitions, TopicName(t.TopicId) ?? "")).ToList();

    public static Regex? CompileRegex(string pattern)
    {
        try
        {
            // Kafka matches the whole topic name (RE2/J matches()); anchoring gives .NET the same semantics.
            return new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool IsLostResponseRetry(ConsumerProtocolMember member, ConsumerHeartbeatCommand c) =>
        // The member missed our last answer: it may stay at its previous epoch while it owns nothing new.
        c.MemberEpoch == member.PreviousMemberEpoch && c.MemberEpoch >= 0 && c.OwnedPartitions is not null
        && c.OwnedPartitions.All(t => t.Partitions.All(p => member.Assigned.Contains(new TopicIdPartition(t.TopicId, p))));

    private static bool ApplySubscription(ConsumerProtocolMember member, ConsumerHeartbeatCommand c)
    {
        var changed = false;
        if (c.InstanceId is not null)
        {
            member.InstanceId = c.InstanceId;
        }

        if (c.RackId is not null && c.RackId != member.RackId)
        {
            member.RackId = c.RackId;
        }

        if (c.RebalanceTimeoutMs >= 0)
        {
            member.RebalanceTimeoutMs = c.RebalanceTimeoutMs;
        }

        if (c.SubscribedTopicNames is not null && !c.SubscribedTopicNames.Order(StringComparer.Ordinal).SequenceEqual(member.SubscribedTopicNames.Order(StringComparer.Ordinal)))
        {
            member.SubscribedTopicNames = c.SubscribedTopicNames.Distinct(StringComparer.Ordinal).ToList();
            changed = true;
        }

        if (c.SubscribedTopicRegex is not null && c.SubscribedTopicRegex != (member.SubscribedTopicRegex ?? ""))
        {
            member.SubscribedTopicRegex = c.SubscribedTopicRegex.Length == 0 ? null : c.SubscribedTopicRegex;
            member.CompiledRegex = member.SubscribedTopicRegex is null ? null : CompileRegex(member.SubscribedTopicRegex);
            changed = true;
        }

        if (c.ServerAssignor is not null && c.ServerAssignor != member.ServerAssignor)
        {
            member.ServerAssignor = c.ServerAssignor;
            changed = true;
        }

        return changed;
    }

    private HashSet<Guid> Resolve(ConsumerProtocolMember member)
    {
        var ids = new HashSet<Guid>();
        foreach (var topic in _topics)
        {
            if (member.SubscribedTopicNames.Contains(topic.Name, StringComparer.Ordinal) || Matches(member.CompiledRegex, topic.Name))
            {
                ids.Add(topic.TopicId);
            }
        }

        return ids;
    }

    private static bool Matches(Regex? regex, string name)
    {
        if (regex is null)
        {
            return false;
        }

        try
        {
            return regex.IsMatch(name);
        }
        catch (RegexMatchTimeoutException)
        {
            // A pathological pattern matches nothing rather than stalling the coordinator.
            return false;
        }
    }

    /// <summary>Bumps the group epoch when the set of subscribed topics or their partition counts changed.</summary>
    private bool BumpIfSubscriptionsChanged()
    {
        var counts = _topics.ToDictionary(t => t.TopicId, t => t.PartitionCount);
        var metadata = _members.Values.SelectMany(m => m.SubscribedTopicIds).Distinct()
            .Where(counts.ContainsKey).ToDictionary(id => id, id => counts[id]);
        var changed = metadata.Count != _subscribedMetadata.Count
            || metadata.Any(kv => !_subscribedMetadata.TryGetValue(kv.Key, out var n) || n != kv.Value);
        _subscribedMetadata = metadata;
        if (changed && _members.Count > 0 && GroupEpoch == AssignmentEpoch)
        {
            GroupEpoch++;
        }

        return changed;
    }

    private void EnsureTargetAssignment()
    {
        if (GroupEpoch <= AssignmentEpoch && _target.Count == _members.Count)
        {
            return;
        }

        var assignor = SelectAssignor();
        var members = _members.Values
            .Select(m => new AssignorMember(m.MemberId, m.SubscribedTopicIds, TargetOf(m.MemberId)))
            .ToList();
        _target = assignor.Assign(members, _subscribedMetadata).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        AssignorName = assignor.Name;
        AssignmentEpoch = GroupEpoch;
    }

    /// <summary>Kafka uses the assignor most members ask for (ties: by name), else the first configured one.</summary>
    private IPartitionAssignor SelectAssignor()
    {
        var wanted = _members.Values.Where(m => m.ServerAssignor is not null)
            .GroupBy(m => m.ServerAssignor!, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => PartitionAssignors.Find(g.Key))
            .FirstOrDefault(a => a is not null);
        return wanted ?? PartitionAssignors.Default;
    }

    private bool OwnedByOther(string memberId, TopicIdPartition partition) =>
        _members.Values.Any(m => m.MemberId != memberId && (m.Assigned.Contains(partition) || m.PendingRevocation.Contains(partition)));

    private void RemoveMember(string memberId)
    {
        _members.Remove(memberId);
        _target.Remove(memberId);
        GroupEpoch++;
        BumpIfSubscriptionsChanged();
    }
}
