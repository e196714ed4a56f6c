using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Grains.Groups;

/// <summary>The classic group protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, session and rebalance timeouts.</summary>
public sealed partial class ConsumerGroupGrain
{
    public async Task<JoinGroupResult> Join(JoinGroupCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (IsConsumerProtocolGroup && !TryRevertEmptyConsumerGroupToClassic())
        {
            // A classic member cannot join a consumer group that has members (Kafka without online migration).
            return JoinGroupResult.Failed(KafkaErrorCode.InconsistentGroupProtocol, command.MemberId);
        }

        var answer = JoinTransition(command);
        if (!answer.IsCompleted || answer.Result.Error == KafkaErrorCode.None)
        {
            await EnsureRegisteredAsync();
            await FlushIfDirtyAsync();
        }

        return await answer;
    }

    /// <summary>All of JoinGroup's decisions, synchronously; the returned task completes when the member's answer is known.</summary>
    private Task<JoinGroupResult> JoinTransition(JoinGroupCommand command)
    {
        if (command.SessionTimeoutMs < _options.GroupMinSessionTimeoutMs || command.SessionTimeoutMs > _options.GroupMaxSessionTimeoutMs)
        {
            return Fail(KafkaErrorCode.InvalidSessionTimeout, command.MemberId);
        }

        if (!SupportsProtocols(command))
        {
            return Fail(KafkaErrorCode.InconsistentGroupProtocol, command.MemberId);
        }

        return command.MemberId.Length == 0 ? JoinNewMember(command) : JoinKnownMember(command);
    }

    private Task<JoinGroupResult> JoinNewMember(JoinGroupCommand command)
    {
        var memberId = $"{command.ClientId}-{Guid.NewGuid():D}";
        if (command.GroupInstanceId is { } instance && _staticMembers.TryGetValue(instance, out var previous))
        {
            return ReplaceStaticMember(command, instance, previous, memberId);
        }

        if (_members.Count + _pending.Count >= _options.GroupMaxSize)
        {
            return Fail(KafkaErrorCode.GroupMaxSizeReached);
        }

        if (command.GroupInstanceId is null && command.RequireKnownMemberId)
        {
            // KIP-394: the member must come back with this id; until then it counts towards the group (and its size).
            var ttl = TimeSpan.FromMilliseconds(command.SessionTimeoutMs);
            _pending[memberId] = NewTimer(OnPendingMemberExpiredAsync, memberId, ttl);
            return Fail(KafkaErrorCode.MemberIdRequired, memberId);
        }

        return AddMemberAndRebalance(command, memberId);
    }

    private Task<JoinGroupResult> JoinKnownMember(JoinGroupCommand command)
    {
        var memberId = command.MemberId;
        if (_pending.Remove(memberId, out var pendingTimer))
        {
            pendingTimer.Dispose();
            return AddMemberAndRebalance(command, memberId);
        }

        if (IsFenced(command.GroupInstanceId, memberId))
        {
            return Fail(KafkaErrorCode.FencedInstanceId, memberId);
        }

        if (!_members.TryGetValue(memberId, out var member) || _groupState == GroupStates.Empty)
        {
            return Fail(KafkaErrorCode.UnknownMemberId, memberId);
        }

        switch (_groupState)
        {
            case GroupStates.PreparingRebalance:
                member.Update(command);
                var parked = Park(member);
                TryCompleteJoin();
                return parked;
            case GroupStates.CompletingRebalance when member.SameProtocols(command.Protocols):
                // A repeated JoinGroup (e.g. the answer was lost): answer with the current generation again.
                return Task.FromResult(CurrentJoinAnswer(member));
            case GroupStates.Stable when member.MemberId != _leaderId && member.SameProtocols(command.Protocols):
                return Task.FromResult(CurrentJoinAnswer(member));
            default:
                // The leader rejoining (it wants a new assignment) or changed metadata: rebalance.
                member.Update(command);
                var answer = Park(member);
                PrepareRebalance($"member {memberId} rejoined with new metadata or as leader");
                TryCompleteJoin();
                return answer;
        }
    }

    /// <summary>A static member rejoining with an unknown member id: the new id replaces the old one, which is fenced.</summary>
    private Task<JoinGroupResult> ReplaceStaticMember(JoinGroupCommand command, string instance, string oldId, string newId)
    {
        var old = _members[oldId];
        old.SessionTimer?.Dispose();
        old.AwaitingJoin?.TrySetResult(JoinGroupResult.Failed(KafkaErrorCode.FencedInstanceId, oldId));
        old.AwaitingSync?.TrySetResult(SyncGroupResult.Failed(KafkaErrorCode.FencedInstanceId));
        _members.Remove(oldId);
        var member = new GroupMember(newId, command) { Assignment = old.Assignment };
        _members[newId] = member;
        _staticMembers[instance] = newId;
        if (_leaderId == oldId)
        {
            _leaderId = newId;
        }

        GroupLog.StaticMemberReplaced(logger, GroupId, instance, oldId, newId);
        ArmSession(member);
        var unchanged = old.SameProtocols(command.Protocols);
        var isLeader = _leaderId == newId;
        if (_groupState == GroupStates.Stable && unchanged && (!isLeader || command.SupportsSkipAssignment))
        {
            // KIP-345: a known instance coming back with the same subscription keeps its assignment, no rebalance.
            // The leader (v9+) gets the member list with skip_assignment so it does not compute a new assignment.
            return Task.FromResult(CurrentJoinAnswer(member) with { SkipAssignment = isLeader });
        }

        var answer = Park(member);
        if (_groupState != GroupStates.PreparingRebalance)
        {
            PrepareRebalance($"static member {instance} rejoined with a new member id");
        }

        TryCompleteJoin();
        return answer;
    }

    private Task<JoinGroupResult> AddMemberAndRebalance(JoinGroupCommand command, string memberId)
    {
        var member = new GroupMember(memberId, command);
        _members[memberId] = member;
        if (command.GroupInstanceId is { } instance)
        {
            _staticMembers[instance] = memberId;
        }

        _leaderId ??= memberId;
        if (_members.Count == 1 && Stored.ProtocolType != command.ProtocolType)
        {
            Stored.ProtocolType = command.ProtocolType;
            _dirty = true;
        }

        if (Stored.EmptySinceMs >= 0)
        {
            Stored.EmptySinceMs = -1;
            _dirty = true;
        }

        var answer = Park(member);
        ArmSession(member);
        if (_groupState == GroupStates.PreparingRebalance && NowMs < _initialDelayUntilMs)
        {
            // group.initial.rebalance.delay.ms: every newcomer of the first rebalance extends the wait, up to the cap.
            _initialDelayUntilMs = Math.Min(NowMs + _options.GroupInitialRebalanceDelayMs, _initialDelayCapMs);
            ArmRebalanceTimer(_initialDelayUntilMs);
        }

        PrepareRebalance($"adding member {memberId}");
        TryCompleteJoin();
        return answer;
    }

    public async Task<SyncGroupResult> Sync(SyncGroupCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (IsFenced(command.GroupInstanceId, command.MemberId))
        {
            return SyncGroupResult.Failed(KafkaErrorCode.FencedInstanceId);
        }

        if (!_members.TryGetValue(command.MemberId, out var member) || _groupState == GroupStates.Empty)
        {
            return SyncGroupResult.Failed(KafkaErrorCode.UnknownMemberId);
        }

        if (command.GenerationId != Stored.Generation)
        {
            return SyncGroupResult.Failed(KafkaErrorCode.IllegalGeneration);
        }

        if ((command.ProtocolType is { } type && type != Stored.ProtocolType)
            || (command.ProtocolName is { } name && name != Stored.ProtocolName))
        {
            return SyncGroupResult.Failed(KafkaErrorCode.InconsistentGroupProtocol);
        }

        switch (_groupState)
        {
            case GroupStates.PreparingRebalance:
                return SyncGroupResult.Failed(KafkaErrorCode.RebalanceInProgress);
            case GroupStates.Stable:
                ArmSession(member);
                return new SyncGroupResult(KafkaErrorCode.None, Stored.ProtocolType, Stored.ProtocolName, member.Assignment);
        }

        // CompletingRebalance: park until the leader's assignment is stored.
        member.AwaitingSync ??= GroupMember.NewWaiter<SyncGroupResult>();
        var answer = member.AwaitingSync.Task;
        ArmSession(member);
        if (member.MemberId == _leaderId)
        {
            var generation = Stored.Generation;
            var assigned = command.Assignments.ToDictionary(a => a.MemberId, a => a.Assignment, StringComparer.Ordinal);
            foreach (var each in _members.Values)
            {
                each.Assignment = assigned.GetValueOrDefault(each.MemberId) ?? [];
            }

            // Kafka stores the group before answering; the write is the one await inside this transition. A rebalance
            // that started meanwhile has already answered the parked syncs with REBALANCE_IN_PROGRESS.
            _dirty = true;
            await FlushIfDirtyAsync();
            if (_groupState == GroupStates.CompletingRebalance && Stored.Generation == generation)
            {
                _groupState = GroupStates.Stable;
                _rebalanceTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                foreach (var each in _members.Values)
                {
                    each.AwaitingSync?.TrySetResult(new SyncGroupResult(KafkaErrorCode.None, Stored.ProtocolType, Stored.ProtocolName, each.Assignment));
                    each.AwaitingSync = null;
                }
            }
        }

        return await answer;
    }

    public Task<KafkaErrorCode> Heartbeat(int generationId, string memberId, string? groupInstanceId)
    {
        if (IsFenced(groupInstanceId, memberId))
        {
            return Task.FromResult(KafkaErrorCode.FencedInstanceId);
        }

        if (!_members.TryGetValue(memberId, out var member) || _groupState == GroupStates.Empty)
        {
            return Task.FromResult(KafkaErrorCode.UnknownMemberId);
        }

        if (generationId != Stored.Generation)
        {
            return Task.FromResult(KafkaErrorCode.IllegalGeneration);
        }

        ArmSession(member);
        return Task.FromResult(_groupState == GroupStates.PreparingRebalance ? KafkaErrorCode.RebalanceInProgress : KafkaErrorCode.None);
    }

    public async Task<LeaveGroupResult> Leave(IReadOnlyList<LeavingMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var results = new List<LeftMember>(members.Count);
        var removed = false;
        foreach (var leaving in members)
        {
            var error = LeaveOne(leaving, ref removed);
            results.Add(new LeftMember(leaving.MemberId, leaving.GroupInstanceId, error));
        }

        if (removed)
        {
            AfterMembersRemoved("members left");
        }

        await FlushIfDirtyAsync();
        return new LeaveGroupResult(KafkaErrorCode.None, results);
    }

    private KafkaErrorCode LeaveOne(LeavingMember leaving, ref bool removed)
    {
        var memberId = leaving.MemberId;
        if (leaving.GroupInstanceId is { } instance)
        {
            if (!_staticMembers.TryGetValue(instance, out var current))
            {
                return KafkaErrorCode.UnknownMemberId;
            }

            if (memberId.Length > 0 && memberId != current)
            {
                return KafkaErrorCode.FencedInstanceId;
            }

            memberId = current;
        }
        else if (_pending.Remove(memberId, out var pendingTimer))
        {
            pendingTimer.Dispose();
            removed = true;
            return KafkaErrorCode.None;
        }

        if (!_members.TryGetValue(memberId, out var member))
        {
            return KafkaErrorCode.UnknownMemberId;
        }

        GroupLog.MemberLeft(logger, GroupId, memberId);
        RemoveMember(member);
        removed = true;
        return KafkaErrorCode.None;
    }

    private async Task OnSessionExpiredAsync(string memberId)
    {
        if (!_members.TryGetValue(memberId, out var member))
        {
            return;
        }

        if (member.AwaitingJoin is not null || member.AwaitingSync is not null)
        {
            // A parked JoinGroup/SyncGroup counts as a heartbeat (the client is waiting on us).
            ArmSession(member);
            return;
        }

        var remainingMs = member.SessionDeadlineMs - NowMs;
        if (remainingMs > 0)
        {
            // A tick queued before the last heartbeat re-armed the timer: wait out the rest of the session.
            member.SessionTimer?.Change(TimeSpan.FromMilliseconds(remainingMs), Timeout.InfiniteTimeSpan);
            return;
        }

        GroupLog.MemberExpired(logger, GroupId, memberId, member.SessionTimeoutMs);
        RemoveMember(member);
        AfterMembersRemoved($"member {memberId} expired");
        await FlushIfDirtyAsync();
    }

    private async Task OnPendingMemberExpiredAsync(string memberId)
    {
        if (_pending.Remove(memberId, out var timer))
        {
            timer.Dispose();
            TryCompleteJoin();
            await FlushIfDirtyAsync();
        }
    }

    private async Task OnRebalanceTimerAsync(int unused)
    {
        if (_groupState == GroupStates.CompletingRebalance)
        {
            if (NowMs < _syncDeadlineMs)
            {
                // A tick armed before the deadline moved (timer ticks can be queued before a Change).
                ArmRebalanceTimer(_syncDeadlineMs);
                return;
            }

            // Kafka's pending-sync timeout: members that got the new generation but did not SyncGroup within the
            // rebalance timeout (a leader that never hands in the assignment included) are removed, and the rest rejoin.
            OnSyncTimeout();
            await FlushIfDirtyAsync();
            return;
        }

        if (_groupState != GroupStates.PreparingRebalance)
        {
            return;
        }

        var now = NowMs;
        if (now < _initialDelayUntilMs)
        {
            ArmRebalanceTimer(_initialDelayUntilMs);
        }
        else if (AllMembersJoined() || now >= _rebalanceDeadlineMs)
        {
            CompleteJoin();
        }
        else
        {
            ArmRebalanceTimer(_rebalanceDeadlineMs);
        }

        await FlushIfDirtyAsync();
    }

    private void OnSyncTimeout()
    {
        var silent = _members.Values.Where(m => m.AwaitingSync is null).ToList();
        foreach (var member in silent)
        {
            GroupLog.MemberExpired(logger, GroupId, member.MemberId, member.RebalanceTimeoutMs);
            RemoveMember(member);
        }

        if (silent.Count > 0)
        {
            AfterMembersRemoved("members did not sync within the rebalance timeout");
        }
    }

    private void RemoveMember(GroupMember member)
    {
        member.SessionTimer?.Dispose();
        member.AwaitingJoin?.TrySetResult(JoinGroupResult.Failed(KafkaErrorCode.UnknownMemberId, member.MemberId));
        member.AwaitingSync?.TrySetResult(SyncGroupResult.Failed(KafkaErrorCode.UnknownMemberId));
        _members.Remove(member.MemberId);
        if (member.GroupInstanceId is { } instance && _staticMembers.GetValueOrDefault(instance) == member.MemberId)
        {
            _staticMembers.Remove(instance);
        }

        if (_leaderId == member.MemberId)
        {
            _leaderId = _members.Values.FirstOrDefault(m => m.AwaitingJoin is not null)?.MemberId ?? _members.Keys.FirstOrDefault();
        }
    }

    private void AfterMembersRemoved(string reason)
    {
        if (_groupState is GroupStates.Stable or GroupStates.CompletingRebalance)
        {
            PrepareRebalance(reason);
        }

        TryCompleteJoin();
    }

    /// <summary>Enters PreparingRebalance (no-op when already there) and arms the rebalance timeout.</summary>
    private void PrepareRebalance(string reason)
    {
        if (_groupState == GroupStates.PreparingRebalance)
        {
            return;
        }

        if (_groupState == GroupStates.CompletingRebalance)
        {
            // The assignment being handed out is void: the waiting syncs learn it and rejoin.
            foreach (var member in _members.Values)
            {
                member.Assignment = [];
                member.AwaitingSync?.TrySetResult(SyncGroupResult.Failed(KafkaErrorCode.RebalanceInProgress));
                member.AwaitingSync = null;
            }
        }

        var now = NowMs;
        var rebalanceTimeout = _members.Count == 0 ? 0 : _members.Values.Max(m => m.RebalanceTimeoutMs);
        _rebalanceDeadlineMs = now + rebalanceTimeout;
        var wasEmpty = _groupState == GroupStates.Empty;
        _initialDelayUntilMs = wasEmpty ? now + Math.Min(_options.GroupInitialRebalanceDelayMs, rebalanceTimeout) : 0;
        _initialDelayCapMs = _rebalanceDeadlineMs;
        _groupState = GroupStates.PreparingRebalance;
        GroupLog.PreparingRebalance(logger, GroupId, reason);
        ArmRebalanceTimer(wasEmpty ? _initialDelayUntilMs : _rebalanceDeadlineMs);
    }

    private void TryCompleteJoin()
    {
        if (_groupState == GroupStates.PreparingRebalance && NowMs >= _initialDelayUntilMs && AllMembersJoined())
        {
            CompleteJoin();
        }
    }

    private bool AllMembersJoined() => _pending.Count == 0 && _members.Values.All(m => m.AwaitingJoin is not null);

    /// <summary>Ends PreparingRebalance: drops dynamic members that did not rejoin, starts the next generation, answers the joins.</summary>
    private void CompleteJoin()
    {
        _rebalanceTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        foreach (var silent in _members.Values.Where(m => m.AwaitingJoin is null && !m.IsStatic).ToList())
        {
            GroupLog.MemberExpired(logger, GroupId, silent.MemberId, silent.RebalanceTimeoutMs);
            RemoveMember(silent);
        }

        Stored.Generation++;
        _dirty = true;
        if (_members.Count == 0)
        {
            _groupState = GroupStates.Empty;
            _leaderId = null;
            Stored.ProtocolName = null;
            Stored.EmptySinceMs = NowMs;
            GroupLog.GenerationStarted(logger, GroupId, Stored.Generation, 0, null);
            return;
        }

        Stored.ProtocolName = SelectProtocol();
        if (_leaderId is null || !_members.ContainsKey(_leaderId))
        {
            _leaderId = _members.Values.FirstOrDefault(m => m.AwaitingJoin is not null)?.MemberId ?? _members.Keys.First();
        }

        _groupState = GroupStates.CompletingRebalance;
        _syncDeadlineMs = NowMs + _members.Values.Max(m => m.RebalanceTimeoutMs);
        ArmRebalanceTimer(_syncDeadlineMs);
        GroupLog.GenerationStarted(logger, GroupId, Stored.Generation, _members.Count, Stored.ProtocolName);
        foreach (var member in _members.Values)
        {
            member.AwaitingJoin?.TrySetResult(CurrentJoinAnswer(member));
            member.AwaitingJoin = null;
            ArmSession(member);
        }
    }

    /// <summary>Kafka's vote: candidates every member supports; each member votes for its most preferred candidate.</summary>
    private string SelectProtocol()
    {
        var first = _members.Values.First();
        var candidates = first.Protocols.Select(p => p.Name).Where(name => _members.Values.All(m => m.Supports(name))).ToList();
        return candidates
            .Select((name, rank) => (Name: name, Rank: rank, Votes: _members.Values.Count(m => m.Protocols.First(p => candidates.Contains(p.Name)).Name == name)))
            .OrderByDescending(c => c.Votes)
            .ThenBy(c => c.Rank)
            .First().Name;
    }

    private JoinGroupResult CurrentJoinAnswer(GroupMember member)
    {
        var leader = _leaderId ?? "";
        IReadOnlyList<JoinedMember> members = member.MemberId == leader
            ? [.. _members.Values.Select(m => new JoinedMember(m.MemberId, m.GroupInstanceId, m.MetadataFor(Stored.ProtocolName)))]
            : [];
        return new JoinGroupResult(KafkaErrorCode.None, Stored.Generation, Stored.ProtocolType, Stored.ProtocolName, leader, member.MemberId, members);
    }

    private bool SupportsProtocols(JoinGroupCommand command)
    {
        if (command.ProtocolType.Length == 0 || command.Protocols.Count == 0)
        {
            return false;
        }

        var others = _members.Values.Where(m => m.MemberId != command.MemberId).ToList();
        return others.Count == 0
            || (command.ProtocolType == Stored.ProtocolType && command.Protocols.Any(p => others.All(m => m.Supports(p.Name))));
    }

    /// <summary>Another member holds this group.instance.id (KIP-345 fencing of a zombie instance).</summary>
    private bool IsFenced(string? groupInstanceId, string memberId) =>
        groupInstanceId is not null && _staticMembers.TryGetValue(groupInstanceId, out var current) && current != memberId;

    private Task<JoinGroupResult> Park(GroupMember member)
    {
        member.AwaitingJoin ??= GroupMember.NewWaiter<JoinGroupResult>();
        return member.AwaitingJoin.Task;
    }

    private void ArmSession(GroupMember member)
    {
        var due = TimeSpan.FromMilliseconds(member.SessionTimeoutMs);
        member.SessionDeadlineMs = NowMs + member.SessionTimeoutMs;
        if (member.SessionTimer is null)
        {
            member.SessionTimer = NewTimer(OnSessionExpiredAsync, member.MemberId, due);
        }
        else
        {
            member.SessionTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void ArmRebalanceTimer(long atMs)
    {
        var due = TimeSpan.FromMilliseconds(Math.Max(0, atMs - NowMs));
        if (_rebalanceTimer is null)
        {
            _rebalanceTimer = NewTimer(OnRebalanceTimerAsync, 0, due);
        }
        else
        {
            _rebalanceTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private static Task<JoinGroupResult> Fail(KafkaErrorCode error, string memberId = "") =>
        Task.FromResult(JoinGroupResult.Failed(error, memberId));
}
