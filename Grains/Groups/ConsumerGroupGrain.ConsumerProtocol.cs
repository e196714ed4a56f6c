using Orleans.Kafka.Grains.Groups.Consumer;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Groups;

/// <summary>
/// KIP-848 (ConsumerGroupHeartbeat / ConsumerGroupDescribe). A group is "classic" or "consumer"
/// (<see cref="ConsumerGroupState.GroupType"/>); the first ConsumerGroupHeartbeat on an empty or new group makes it a
/// consumer group. As in Kafka 4.0 without migration: a heartbeat on a non-empty classic group fails with
/// GROUP_ID_NOT_FOUND and JoinGroup on a consumer group with INCONSISTENT_GROUP_PROTOCOL. The member state lives in
/// <see cref="ConsumerProtocolGroup"/>; the group epoch is persisted (as the generation) so epochs keep rising across a
/// restart, after which members get UNKNOWN_MEMBER_ID and rejoin with epoch 0.
/// </summary>
public sealed partial class ConsumerGroupGrain
{
    public const string ConsumerGroupType = "consumer";

    private ConsumerProtocolGroup? _consumer;
    private IGrainTimer? _consumerTimer;
    private long _topicsFetchedMs = long.MinValue;

    private bool IsConsumerProtocolGroup => Stored.Exists && Stored.GroupType == ConsumerGroupType || _consumer is not null;

    private int ConsumerMemberCount => _consumer?.Members.Count ?? 0;

    public async Task<ConsumerHeartbeatResult> ConsumerHeartbeat(ConsumerHeartbeatCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (ConsumerProtocolGroup.Validate(command) is { } invalid)
        {
            return invalid;
        }

        if (!IsConsumerProtocolGroup)
        {
            if (_members.Count > 0 || _pending.Count > 0)
            {
                return ConsumerHeartbeatResult.Failed(KafkaErrorCode.GroupIdNotFound, $"Group {GroupId} is not a consumer group.");
            }

            if (command.MemberEpoch != 0)
            {
                // Kafka answers GROUP_ID_NOT_FOUND; UNKNOWN_MEMBER_ID makes every client rejoin (epoch 0) instead.
                return ConsumerHeartbeatResult.Failed(KafkaErrorCode.UnknownMemberId, $"Member {command.MemberId} is not a member of the group.");
            }
        }

        var group = ConsumerGroup();
        var refresh = command.MemberEpoch == 0 || command.SubscribedTopicNames is not null || command.SubscribedTopicRegex is not null
            || NowMs - _topicsFetchedMs >= _options.GroupConsumerHeartbeatIntervalMs;
        if (refresh)
        {
            var topics = await FetchTopicsAsync();
            group = ConsumerGroup();
            group.UpdateTopics(topics);
        }

        var result = group.Heartbeat(command, NowMs, _options.GroupConsumerSessionTimeoutMs, _options.GroupConsumerHeartbeatIntervalMs,
            () => Guid.NewGuid().ToString("N"));
        if (result.Error == KafkaErrorCode.None)
        {
            if (command.MemberEpoch == 0)
            {
                ConsumerProtocolLog.MemberJoined(logger, GroupId, result.MemberId ?? "", group.GroupEpoch);
            }
            else if (command.MemberEpoch < 0)
            {
                ConsumerProtocolLog.MemberLeft(logger, GroupId, command.MemberId, command.MemberEpoch);
            }

            await OnConsumerGroupChangedAsync();
        }

        return result;
    }

    public Task<ConsumerGroupDescription> DescribeConsumerGroup()
    {
        if (!IsConsumerProtocolGroup)
        {
            var message = Stored.Exists || _members.Count > 0 ? $"Group {GroupId} is not a consumer group." : $"Group {GroupId} not found.";
            return Task.FromResult(new ConsumerGroupDescription(KafkaErrorCode.GroupIdNotFound, message, GroupStates.Dead, 0, 0, "", []));
        }

        var group = ConsumerGroup();
        var members = group.Members.Values
            .OrderBy(m => m.MemberId, StringComparer.Ordinal)
            .Select(m => new ConsumerGroupMemberDescription(m.MemberId, m.InstanceId, m.RackId, m.MemberEpoch, m.ClientId, m.ClientHost,
                m.SubscribedTopicNames, m.SubscribedTopicRegex, group.Describe(m.Assigned), group.Describe(group.TargetOf(m.MemberId))))
            .ToList();
        return Task.FromResult(new ConsumerGroupDescription(
            KafkaErrorCode.None, null, group.State, group.GroupEpoch, group.AssignmentEpoch, group.AssignorName, members));
    }

    /// <summary>DescribeGroups / ListGroups view of a consumer group (type "consumer", protocol type "consumer").</summary>
    private GroupDescription DescribeConsumerGroupAsClassic()
    {
        var group = ConsumerGroup();
        var members = group.Members.Values
            .Select(m => new GroupMemberDescription(m.MemberId, m.InstanceId, m.ClientId, m.ClientHost, [], []))
            .ToList();
        return new GroupDescription(GroupId, true, group.State, "consumer", group.AssignorName, members, ConsumerGroupType);
    }

    /// <summary>OffsetCommit from a consumer group (KIP-848 member epochs instead of generations).</summary>
    private KafkaErrorCode ValidateConsumerGroupCommit(OffsetCommitCommand command) =>
        ConsumerGroup().ValidateOffsetCommit(command.MemberId, command.GenerationId);

    /// <summary>
    /// An empty consumer group becomes a classic one again on a JoinGroup (Kafka converts empty groups either way);
    /// offsets and the generation counter stay. False while the consumer group has members.
    /// </summary>
    private bool TryRevertEmptyConsumerGroupToClassic()
    {
        if (ConsumerMemberCount > 0)
        {
            return false;
        }

        _consumer = null;
        _consumerTimer?.Dispose();
        _consumerTimer = null;
        if (Stored.GroupType != "classic")
        {
            Stored.GroupType = "classic";
            _dirty = true;
        }

        return true;
    }

    /// <summary>The group's state machine, created (at the persisted epoch) on first use.</summary>
    private ConsumerProtocolGroup ConsumerGroup()
    {
        if (_consumer is null)
        {
            _consumer = new ConsumerProtocolGroup();
            _consumer.RestoreEpoch(Stored.GroupType == ConsumerGroupType ? Stored.Generation : 0);
        }

        return _consumer;
    }

    private async Task<IReadOnlyList<AssignableTopic>> FetchTopicsAsync()
    {
        var topics = await GrainFactory.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key).ListTopics();
        _topicsFetchedMs = NowMs;
        return topics.Where(t => !t.IsInternal).Select(t => new AssignableTopic(t.TopicId, t.Name, t.Partitions.Count)).ToList();
    }

    /// <summary>Persists type and epoch, keeps the session timer running while there are members, and registers the group.</summary>
    private async Task OnConsumerGroupChangedAsync()
    {
        var group = ConsumerGroup();
        if (!Stored.Exists || Stored.GroupType != ConsumerGroupType)
        {
            Stored.GroupType = ConsumerGroupType;
            Stored.ProtocolType = "consumer";
            _dirty = true;
            await EnsureRegisteredAsync();
        }

        if (Stored.Generation != group.GroupEpoch)
        {
            Stored.Generation = group.GroupEpoch;
            _dirty = true;
        }

        var emptySince = group.Members.Count > 0 ? -1 : (Stored.EmptySinceMs >= 0 ? Stored.EmptySinceMs : NowMs);
        if (emptySince != Stored.EmptySinceMs)
        {
            Stored.EmptySinceMs = emptySince;
            _dirty = true;
        }

        if (group.Members.Count > 0 && _consumerTimer is null)
        {
            var period = TimeSpan.FromMilliseconds(Math.Clamp(Math.Min(_options.GroupConsumerSessionTimeoutMs, _options.GroupConsumerHeartbeatIntervalMs) / 4, 20, 1000));
            _consumerTimer = this.RegisterGrainTimer(
                _ => OnConsumerTimerAsync(), new GrainTimerCreationOptions(period, period) { Interleave = true, KeepAlive = true });
        }
        else if (group.Members.Count == 0)
        {
            _consumerTimer?.Dispose();
            _consumerTimer = null;
        }

        await FlushIfDirtyAsync();
    }

    /// <summary>Session expiry, and the periodic topic refresh that lets regex subscriptions see new topics.</summary>
    private async Task OnConsumerTimerAsync()
    {
        var group = ConsumerGroup();
        foreach (var expired in group.ExpireMembers(NowMs))
        {
            ConsumerProtocolLog.MemberExpired(logger, GroupId, expired, _options.GroupConsumerSessionTimeoutMs);
        }

        if (group.Members.Count > 0 && NowMs - _topicsFetchedMs >= _options.GroupConsumerHeartbeatIntervalMs)
        {
            ConsumerGroup().UpdateTopics(await FetchTopicsAsync());
        }

        await OnConsumerGroupChangedAsync();
    }
}
